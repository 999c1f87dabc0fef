/**
 * A second bench client process, so that what is measured is not distorted by the bench process's own
 * load: its event loop stays nearly idle while the main bench process drives thousands of clients.
 *   - probe battles: a few battles of 8 whose players answer each question within a think time; their
 *     answer -> answer_ack round trips are the server's latency as seen by an unloaded client;
 *   - abuser: the flooder (or the rejoin-only control) of the flood test, out of the process that
 *     measures the other players' round trips;
 *   - broadcast: the 20 tabs of the broadcast measure (./broadcast), and the bare server's fan-out floor
 *     measured the same way.
 * The parent talks to it over IPC (startAgent below); times cross the process boundary as epoch ms.
 */
import './sdkTransport'; // before the SDK loads (through ./players)
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { runBroadcast, type BroadcastPlan } from './broadcast';
import { fanoutFloor } from './floors';
import { abuser, BattleGroup, Play, sdk, Tally } from './players';

type Request =
  | { id: number; cmd: 'probe:open'; urls: string[]; tokens: string[]; battleSize: number; thinkMs: number }
  | { id: number; cmd: 'probe:ready' }
  | { id: number; cmd: 'probe:samples' }
  | { id: number; cmd: 'probe:close' }
  | { id: number; cmd: 'abuse'; urls: string[]; token: string; mode: 'flood' | 'churn'; until: number; minJoinGapMs: number; maxConnections: number }
  | { id: number; cmd: 'broadcast'; plan: BroadcastPlan }
  | { id: number; cmd: 'fanoutFloor'; clients: number; reps: number; gapMs: number }
  | { id: number; cmd: 'gc' };

export interface ProbeSamples { at: number[]; ms: number[]; errors: Record<string, number>; leaves: Record<string, number>; battles: number }

/**
 * A full collection in this process, where Node runs with --expose-gc (npm run bench, and the agent):
 * between phases, so that a load generator does not carry the last phase's garbage (10,000 closed
 * connections) into the next phase's measured windows. The servers are never collected for.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

// ------------------------------------------------------------------------------------------ child side

async function serve(): Promise<void> {
  const play = new Play();
  const tally = new Tally();
  let groups: BattleGroup[] = [];
  const epoch = (t: number) => performance.timeOrigin + t;
  const handle = async (m: Request): Promise<unknown> => {
    switch (m.cmd) {
      case 'probe:open': {
        play.thinkMs = m.thinkMs;
        const n = Math.floor(m.tokens.length / m.battleSize);
        groups = Array.from({ length: n }, (_, g) => new BattleGroup(
          Array.from({ length: m.battleSize }, (_, k) => sdk(m.urls[g % m.urls.length], m.tokens[g * m.battleSize + k])), play, tally));
        for (const g of groups) await g.open({ subject: 'math' });
        return { battles: groups.length };
      }
      case 'probe:ready':
        groups.forEach((g) => g.ready());
        return {};
      case 'probe:samples':
        return {
          at: play.answerRtts.at.map(epoch), ms: play.answerRtts.ms, errors: Object.fromEntries(tally.errors), leaves: tally.leaves.toJSON(), battles: groups.length,
        } satisfies ProbeSamples;
      case 'probe:close':
        await Promise.all(groups.map((g) => g.close()));
        groups = [];
        return {};
      case 'abuse':
        return abuser(m.urls, m.token, m.mode, m.until, m.minJoinGapMs, m.maxConnections);
      case 'broadcast':
        return runBroadcast(m.plan);
      case 'fanoutFloor':
        return fanoutFloor(m.clients, m.reps, m.gapMs);
      case 'gc':
        collectGarbage();
        return {};
    }
  };
  process.on('message', (m: Request) => {
    handle(m).then(
      (result) => process.send!({ id: m.id, result }),
      (e) => process.send!({ id: m.id, error: String((e as Error)?.stack ?? e) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ id: 0, result: 'ready' });
}

if (require.main === module) {
  serve().catch((e) => {
    console.error('bench agent failed:', e);
    process.exit(1);
  });
}

// ----------------------------------------------------------------------------------------- parent side

type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

/** The agent as seen from the bench process. */
export interface Agent {
  child: ChildProcess;
  request(req: RequestBody, timeoutMs?: number): Promise<any>;
  stop(): Promise<void>;
}

/** Starts the agent process (Node with tsx, like the servers) and waits until it listens. */
export async function startAgent(): Promise<Agent> {
  const child = fork(path.join(__dirname, 'agent.ts'), [], { execArgv: ['--expose-gc', '--require', 'tsx/cjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  const ready = new Promise<void>((resolve, reject) => {
    waiting.set(0, { resolve: () => resolve(), reject });
    child.once('exit', (code) => reject(new Error(`bench agent exited with ${code}`)));
  });
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(m.error)); else w.resolve(m.result);
  });
  child.on('exit', () => { for (const w of waiting.values()) w.reject(new Error('bench agent exited')); waiting.clear(); });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ready, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('bench agent did not start')), 30_000); })]).finally(() => clearTimeout(timer));
  return {
    child,
    request(req, timeoutMs = 120_000) {
      const id = next++;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => { waiting.delete(id); reject(new Error(`bench agent: ${req.cmd} timed out`)); }, timeoutMs);
        waiting.set(id, { resolve: (v) => { clearTimeout(t); resolve(v); }, reject: (e) => { clearTimeout(t); reject(e); } });
        child.send({ ...req, id });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
