/**
 * The broadcast measure of bench/load: 20 tabs (personal rooms of one user), timed from the client side.
 *   - HTTP trigger: a parent's POST /parent/children (with one of the user's link codes) makes the server
 *     notify every tab; timed from just before the POST to the last tab's `notification`;
 *   - in-room: one more tab marks each of those notifications read; the room tells every tab
 *     (`notifications_read`), timed from the send to the last of the others. Paced under the message limit.
 * It runs in the bench agent (an otherwise idle client process, like the probe players), so that the
 * bench process's own state (it has just held thousands of connections) stays out of the figures; the
 * first run this way (2026-12-02 01:04) measured the same as those before it.
 */
import { closeAll, joinPersonal, roomPort, sleep, watch, withTimeout } from './players';
import type { Room } from '@colyseus/sdk';

export interface BroadcastPlan {
  /** The server processes: the tabs spread over them; the trigger goes to another than the first tab's. */
  nodes: Array<{ port: number; http: string; ws: string }>;
  tabsToken: string;
  tabs: number;
  /** One parent and one link code per repetition. */
  parents: Array<{ username: string; token: string }>;
  codes: string[];
  relayGapMs: number;
}

export interface BroadcastSamples {
  crossProcess: boolean;
  e2e: number[]; spread: number[]; http: number[]; statuses: Record<string, number>; missed: number;
  relay: number[]; relayMissed: number;
}

export async function runBroadcast(plan: BroadcastPlan): Promise<BroadcastSamples> {
  const { nodes } = plan;
  const tabs: Room[] = [];
  const states: Array<ReturnType<typeof watch>> = [];
  for (let t = 0; t < plan.tabs; t++) {
    const room = await joinPersonal(nodes[t % nodes.length].ws, plan.tabsToken);
    states.push(watch(room));
    tabs.push(room);
  }
  const hostPort = roomPort(tabs[0]);
  const trigger = nodes.find((n) => n.port !== hostPort) ?? nodes[0];
  let expect = '';
  let got: number[] = [];
  let onAll: (() => void) | undefined;
  const ids: string[] = []; // each notification's id, for the in-room part below
  for (const room of tabs) {
    room.onMessage('notification', (n: { id: string; kind: string; data: { parentUsername?: string } }) => {
      if (n.kind !== 'child_linked' || n.data?.parentUsername !== expect) return;
      got.push(performance.now());
      if (got.length === 1) ids.push(n.id);
      if (got.length === tabs.length) onAll?.();
    });
  }
  const e2e: number[] = [];
  const spread: number[] = [];
  const http: number[] = [];
  const statuses: Record<string, number> = {};
  let missed = 0;
  for (let r = 0; r < plan.codes.length; r++) {
    const parent = plan.parents[r];
    expect = parent.username;
    got = [];
    const all = new Promise<void>((resolve) => { onAll = resolve; });
    const t0 = performance.now();
    const res = await fetch(`${trigger.http}/parent/children`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${parent.token}` }, body: JSON.stringify({ code: plan.codes[r] }),
    });
    await res.arrayBuffer();
    http.push(performance.now() - t0);
    statuses[String(res.status)] = (statuses[String(res.status)] ?? 0) + 1;
    try {
      await withTimeout(all, 5000, 'broadcast');
      e2e.push(Math.max(...got) - t0);
      spread.push(Math.max(...got) - Math.min(...got));
    } catch {
      missed++;
    }
    await sleep(10);
  }
  const sender = await joinPersonal(nodes[0].ws, plan.tabsToken);
  const senderState = watch(sender);
  sender.onMessage('notifications_read', () => {});
  sender.onMessage('marked_read', () => {});
  let relayId = '';
  let relayLeft = 0;
  let onRelayed: (() => void) | undefined;
  for (const room of tabs) room.onMessage('notifications_read', (m: { ids: string[] }) => { if (m.ids[0] === relayId && --relayLeft === 0) onRelayed?.(); });
  const relay: number[] = [];
  let relayMissed = 0;
  for (const id of ids) {
    relayId = id;
    relayLeft = tabs.length;
    const all = new Promise<void>((resolve) => { onRelayed = resolve; });
    const t0 = performance.now();
    sender.send('mark_read', { ids: [id] });
    try {
      await withTimeout(all, 5000, 'in-room broadcast');
      relay.push(performance.now() - t0);
    } catch {
      relayMissed++;
    }
    await sleep(plan.relayGapMs);
  }
  await closeAll([...tabs, sender], [...states, senderState]);
  return { crossProcess: trigger.port !== hostPort, e2e, spread, http, statuses, missed, relay, relayMissed };
}
