import type { Socket } from 'node:net';
import { WebSocketTransport } from '@colyseus/ws-transport';
import type { WebSocket } from 'ws';

/**
 * Frames sent to one WebSocket during one turn of the event loop leave in one write: the first send of a
 * turn corks the TCP socket and the turn's end (process.nextTick) uncorks it. `ws` writes every frame
 * on its own otherwise, one system call each, and a system call costs more than the JavaScript around
 * most of our messages: a state patch and the message that goes with it (a question, a round result),
 * the answers to several messages that arrived in one TCP read, a broadcast and a reply. Order and
 * content are unchanged; only how many writes carry them.
 */
export function coalesceWrites(ws: WebSocket): void {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  if (!socket) return;
  const send = ws.send;
  let corked = false;
  const flush = () => {
    corked = false;
    if (!socket.destroyed) socket.uncork();
  };
  ws.send = function (this: WebSocket, ...args: Parameters<WebSocket['send']>) {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(flush);
    }
    return send.apply(this, args);
  } as WebSocket['send'];
}

/** Colyseus' `ws` transport whose connections coalesce their writes (coalesceWrites). */
export class CoalescingWebSocketTransport extends WebSocketTransport {
  constructor(options: ConstructorParameters<typeof WebSocketTransport>[0]) {
    super(options);
    this.wss.on('connection', (ws: WebSocket) => coalesceWrites(ws));
  }
}
