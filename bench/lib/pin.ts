/**
 * CPU pinning for bench/load on a small machine. The load generator runs on the same machine as the server
 * it measures; on 2 cores the bench client (about a core of its own while it drives 2,000 players) and the
 * server take turns on the same cores, and the server's round trips then include the time it waits for a
 * core the bench client's event loop holds. With pinning, the event loops are kept apart: the one-process
 * server's main thread (and the bare floor servers') on the last core, the bench client's and the agent's
 * main threads on the others. Every other thread (V8's GC helpers, libuv's pool) may run on any core, so
 * the server still gets the other core for its garbage collection (with whole processes pinned, one full
 * run on 2026-12-02 reached 14,186 messages/s; 18,207 with the event loops pinned, 16,713-22,330 in five
 * runs without pinning).
 * The two-process topology is never pinned: two servers and the bench client share all the cores.
 *
 * BENCH_PIN: `1p` (default) pins the one-process topology and the floors; `off` leaves it to the kernel.
 * Needs `taskset` (util-linux) and at least 2 cores; without them nothing is pinned and the report says so.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { oneOf } from './env';

export interface PinPlan {
  /** The server's main thread's cores (taskset list), e.g. "1". */
  server: string;
  /** The bench client's and the agent's main threads' cores, e.g. "0". */
  clients: string;
}

let tasksetChecked: boolean | undefined;
function hasTaskset(): boolean {
  if (tasksetChecked === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetChecked = true;
    } catch {
      tasksetChecked = false;
    }
  }
  return tasksetChecked;
}

/** Why nothing is pinned (BENCH_PIN=off, or it cannot be done here); undefined when the bench pins. */
export function pinOffReason(): string | undefined {
  if (pinMode() === 'off') return 'BENCH_PIN=off';
  if (cores() < 2) return 'one core only';
  if (!hasTaskset()) return 'taskset not found';
  return undefined;
}

/** The machine's cores: not os.availableParallelism(), which shrinks to a pinned process's own affinity. */
export function cores(): number {
  return os.cpus().length;
}

function pinMode(): '1p' | 'off' {
  return oneOf('BENCH_PIN', ['1p', 'off']);
}

/** The cores for server and bench, or undefined when pinning is off or impossible. */
export function pinPlan(): PinPlan | undefined {
  if (pinOffReason()) return undefined;
  const n = cores();
  return { server: String(n - 1), clients: n === 2 ? '0' : `0-${n - 2}` };
}

/**
 * Pins the main thread of `pid` (its event loop) to `mainCpus` and lets every other thread run on any core.
 * Threads the main thread starts later inherit its affinity.
 */
export function pinMainThread(pid: number | undefined, mainCpus: string): void {
  if (pid === undefined) return;
  unpin(pid);
  execFileSync('taskset', ['-p', '-c', mainCpus, String(pid)], { stdio: 'ignore' });
}

/** Lets every thread of `pid` run on any core again. */
export function unpin(pid: number | undefined): void {
  if (pid === undefined) return;
  execFileSync('taskset', ['-a', '-p', '-c', `0-${cores() - 1}`, String(pid)], { stdio: 'ignore' });
}

/**
 * BENCH_NICE (default 10; 0 = off): the nice value of the bench client's event loop in the paced battle
 * window, where the answer round trip is measured. Pinning keeps the event loops of server and bench
 * client apart, but the probe players' agent shares the bench client's core, and the server's other
 * threads (GC helpers) run on any core: with the bench client's loop busy for nearly the whole window,
 * the agent's reads wait for the scheduler to give it the core, and its round trips grow by that wait
 * (one run on 2026-12-02, its server under the CPU profiler: probe p99 60.7 ms while the server's own
 * event-loop delay p99 was 15.4 ms).
 * At nice 10 the load generator yields to the agent and to the servers; in a real deployment the crowd's
 * devices are not on the server's machine at all. Not in the load steps: they measure throughput, and a
 * niced load generator makes less load (11,466 replies/s on two processes in a run that niced them too).
 * Only where it can be undone (root: raising a thread's priority back needs CAP_SYS_NICE), since every
 * process started from the bench's main thread later (the floors' bare servers) would inherit it.
 */
export function niceLevel(): number {
  const raw = (process.env.BENCH_NICE ?? '10').trim();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new Error(`BENCH_NICE=${JSON.stringify(raw)}: expected an integer 0..19`);
  return n;
}

/** Why the bench client is not niced in the paced window; undefined when it is. */
export function niceOffReason(): string | undefined {
  if (niceLevel() === 0) return 'BENCH_NICE=0';
  if (process.getuid?.() !== 0) return 'not root: it could not be undone';
  return undefined;
}

/** Lowers the bench client's event loop to BENCH_NICE; the returned function restores it. */
export function yieldToServers(): () => void {
  if (niceOffReason()) return () => {};
  const before = os.getPriority();
  os.setPriority(niceLevel());
  return () => os.setPriority(before);
}

/**
 * BENCH_FLOOD_ABUSER: where the flood phase's flooder and rejoin-only control (the agent) run.
 * `apart` (default): the agent's event loop at nice 19 and, when the one-process topology is pinned, on
 * the server's core, not on the core of the bench client that times the others' round trips. `idle`: the
 * same core, with every thread of the agent under SCHED_IDLE (chrt) instead of nice 19: at nice 19 the
 * agent still runs in slices under EEVDF, and a server that wakes may wait for the current one to end; a
 * SCHED_IDLE task gives way as soon as a normal task wants the core (falls back to nice 19 without chrt).
 * Nine flood-only runs of 2026-12-05, two of them of 96 cycles (1.17x apart, 1.18x idle), could not tell
 * `idle` from `apart` (docs/benchmarks.md). `beside`: as in every other phase (the bench client's core,
 * nice 0).
 * On a real server the flooder's device is elsewhere; here its client work (an SDK join, megabytes of
 * frames written into loopback, about 45 refused rejoins a window, and the garbage of all that: 114 of
 * the agent's 134 collections of a traced run fell in flooder windows) has to share a core with something.
 * Beside the bench client it shares the core of the process whose clock times the others' round trips,
 * and whatever delays that process counts as the server's latency. On the server's core at nice 19 it
 * takes what the server leaves, and its sends' kernel work (loopback delivery runs in the sender's
 * context) lands where receiving a flood lands on a real server's machine. One flood-only run each on the
 * same host (2026-12-04): 1.31x beside, 1.17x apart; one run each is within the noise (docs/benchmarks.md).
 */
function abuserPlacement(): 'apart' | 'idle' | 'beside' {
  return oneOf('BENCH_FLOOD_ABUSER', ['apart', 'idle', 'beside']);
}

/** Sets the scheduling policy of every thread of `pid` (chrt): SCHED_IDLE or back to SCHED_OTHER. False without chrt. */
function setPolicy(pid: number, policy: 'idle' | 'other'): boolean {
  try {
    execFileSync('chrt', ['-a', policy === 'idle' ? '-i' : '-o', '-p', '0', String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Moves the agent (pid) apart for the flood phase (abuserPlacement); the returned function puts it back
 * (the clients' cores of `plan` or anywhere, nice 0). Raising a priority back needs root: without it, or
 * with `beside`, nothing moves. Returns what it did, for the report.
 */
export function placeAbuser(pid: number | undefined, plan: PinPlan | undefined): { restore(): void; note: string } {
  if (pid === undefined) return { restore() {}, note: 'the flooder and the control run in the bench client (no agent)' };
  const mode = abuserPlacement();
  if (mode === 'beside') return { restore() {}, note: 'the flooder and the control (the agent) run beside the bench client (BENCH_FLOOD_ABUSER=beside)' };
  if (process.getuid?.() !== 0) return { restore() {}, note: 'the flooder and the control (the agent) run beside the bench client (not root: a nice value could not be undone)' };
  if (plan) pinMainThread(pid, plan.server);
  let idle = false;
  if (mode === 'idle') {
    idle = setPolicy(pid, 'idle');
    // A chrt that failed part-way (a thread gone mid-list) may have left some threads idle: put them back.
    if (!idle) setPolicy(pid, 'other');
  }
  if (!idle) os.setPriority(pid, 19);
  const where = plan ? `, their event loop on the server's core (CPU ${plan.server}), not the bench client's` : '';
  return {
    restore() {
      if (idle) setPolicy(pid, 'other'); else os.setPriority(pid, 0);
      if (plan) pinMainThread(pid, plan.clients);
    },
    note: idle
      ? `the flooder and the control (the agent) run under SCHED_IDLE, every thread${where} (BENCH_FLOOD_ABUSER=idle)`
      : `the flooder and the control (the agent) run at nice 19${where} (BENCH_FLOOD_ABUSER=${mode}${mode === 'idle' ? ': chrt failed' : ''})`,
  };
}
