/**
 * Which WebSocket implementation the Colyseus SDK uses in this process. The SDK takes
 * `globalThis.WebSocket` when there is one (Node 22+: undici's) and falls back to the `ws` package.
 * BENCH_SDK_WEBSOCKET=ws (the default) hides the global before the SDK is loaded, so the SDK uses `ws`:
 * measured here, undici's WebSocket costs the bench client noticeably more CPU per received frame
 * (event-target dispatch, a copy per message), which matters with thousands of clients in one process.
 * BENCH_SDK_WEBSOCKET=global keeps undici's. Import this module before anything that loads the SDK.
 */
export const SDK_WEBSOCKET = (process.env.BENCH_SDK_WEBSOCKET ?? 'ws') === 'global' ? 'global (undici)' : 'ws';
if (SDK_WEBSOCKET === 'ws') {
  Object.defineProperty(globalThis, 'WebSocket', { value: undefined, configurable: true, writable: true });
}
