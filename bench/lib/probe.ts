/**
 * Where the time goes during a benchmark window, on both ends: the bench process itself (CPU, event-loop
 * utilisation and delay) and every server process (CPU seconds, event-loop lag p99, memory, messages in
 * and out from /metrics). Used to tell a client-bound figure from a server-bound one.
 */
import fs from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { EVENT_LOOP_SAMPLING_MS } from '../../src/metrics';
import { scrape, type ArenaNode, type Scrape } from './arena';

const beyondTick = (ms: number) => Math.max(0, ms - EVENT_LOOP_SAMPLING_MS);

export interface SideLoad {
  /** CPU used over the window, in percent of one core. */
  cpuPct: number;
  /** Event-loop utilisation (0..1): how much of the window the loop was busy. */
  elu?: number;
  /**
   * Event-loop delay p99 over the window, ms, beyond the sampling tick (EVENT_LOOP_SAMPLING_MS): Node's
   * histogram records the whole interval between ticks, so an idle loop would otherwise read 10 ms.
   */
  lagP99Ms: number;
  /** Time spent in garbage collection pauses over the window, in percent of the window. */
  gcPct: number;
  /** Heap in use at the end of the window, MiB. */
  heapMiB: number;
  /** Garbage collection pauses over 100 ms in the window (a stall of their own in every latency figure). */
  gcLongPauses: number;
  /** The same by kind of collection (servers only: major, minor, incremental, weakcb). */
  gcLongPauseKinds?: Record<string, number>;
  /**
   * How long the event loop's thread was ready to run but waited for a core (the scheduler's run-queue
   * delay, /proc/<pid>/task/<pid>/schedstat), in percent of the window. Undefined off Linux.
   */
  runWaitPct?: number;
  /**
   * Page faults per second over the window (minor faults: memory the process touches for the first time
   * or after giving it back, /proc/<pid>/stat): on this project's machine a first touch cost 1.6–13 µs
   * a page (docs/benchmarks.md, 2026-12-04). Undefined off Linux.
   */
  pageFaultsPerSec?: number;
}

/**
 * GC pauses over 100 ms a server counted so far, by kind (prom-client's label: major, minor, incremental,
 * weakcb): all of them less those in its histogram's 0.1 s bucket.
 */
function longPauses(s: Scrape): Map<string, number> {
  const byKind = new Map<string, number>();
  for (const { name, labels, value } of s.samples) {
    const kind = /kind="([^"]*)"/.exec(labels)?.[1] ?? '';
    if (name === 'arena_nodejs_gc_duration_seconds_count') byKind.set(kind, (byKind.get(kind) ?? 0) + value);
    else if (name === 'arena_nodejs_gc_duration_seconds_bucket' && labels.includes('le="0.1"')) byKind.set(kind, (byKind.get(kind) ?? 0) - value);
  }
  return byKind;
}

/** The long pauses between two scrapes, by kind (only kinds that had one). */
function longPausesBetween(first: Scrape, last: Scrape): Record<string, number> {
  const before = longPauses(first);
  const out: Record<string, number> = {};
  for (const [kind, n] of longPauses(last)) {
    const since = n - (before.get(kind) ?? 0);
    if (since > 0) out[kind] = since;
  }
  return out;
}

/** A number read from one of a process's /proc files, or undefined (no such process, or not Linux). */
function fromProc(pid: number | undefined, file: string, pick: (text: string) => number): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return pick(fs.readFileSync(`/proc/${pid}/${file}`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Run-queue wait of a process's main thread so far, in ns (the second field of its schedstat). */
const runWaitNs = (pid: number | undefined) => fromProc(pid, `task/${pid}/schedstat`, (t) => Number(t.split(' ')[1]));

/** Minor page faults of a process so far (the tenth field of /proc/<pid>/stat, after the command). */
const minorFaults = (pid: number | undefined) => fromProc(pid, 'stat', (t) => Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[7]));

export interface WindowReport {
  seconds: number;
  /** Per server: seconds between the answers to the opening and the closing scrape. */
  serverSeconds: number[];
  client: SideLoad;
  servers: SideLoad[];
  /** Client→server room messages the servers counted (arena_messages_in_total), per second. */
  serverMessagesInPerSec: number;
  serverMessagesOutPerSec: number;
  serverMessagesIn: number;
  serverMessagesOut: number;
  /** 1-minute load average of the machine at the end (other work on the machine shows here). */
  loadavg1: number;
  /**
   * The whole machine's CPU use over the window (every core, from /proc/stat), in percent of one core, and
   * the part of it that neither the bench client nor the servers account for (the agent, PostgreSQL,
   * Redis, the kernel's softirq work for loopback traffic, anything else). Undefined off Linux.
   */
  machineCpuPct?: number;
  othersCpuPct?: number;
}

/** Busy and total jiffies of all cores (the first line of /proc/stat), or undefined where there is none. */
function machineJiffies(): { busy: number; total: number } | undefined {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
    const total = f.slice(0, 8).reduce((a, x) => a + x, 0);
    return { busy: total - f[3] - f[4], total };
  } catch {
    return undefined;
  }
}

/** Opens a measurement window; `end()` closes it and reports both sides. */
export async function openWindow(nodes: readonly ArenaNode[]): Promise<{ end(): Promise<WindowReport>; first: Scrape[] }> {
  // The first scrape also resets the servers' event-loop lag histograms (prom-client resets on collect).
  const first = await Promise.all(nodes.map((n) => scrape(n)));
  const h = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLING_MS });
  h.enable();
  let gcMs = 0;
  let gcLong = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      if (e.duration > 100) gcLong++;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const cpu0 = process.cpuUsage();
  const jiffies0 = machineJiffies();
  const pids = [process.pid, ...nodes.map((n) => n.proc.child.pid)];
  const wait0 = pids.map(runWaitNs);
  const faults0 = pids.map(minorFaults);
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  return {
    first,
    async end() {
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const jiffies1 = machineJiffies();
      const wait1 = pids.map(runWaitNs);
      const faults1 = pids.map(minorFaults);
      const waitPct = (i: number) => (wait0[i] === undefined || wait1[i] === undefined ? undefined : ((wait1[i]! - wait0[i]!) / 1e9 / seconds) * 100);
      const faultRate = (i: number) => (faults0[i] === undefined || faults1[i] === undefined ? undefined : (faults1[i]! - faults0[i]!) / seconds);
      const elu = performance.eventLoopUtilization(elu0);
      h.disable();
      gcObserver.disconnect();
      const last = await Promise.all(nodes.map((n) => scrape(n)));
      // Server-side rates over the span between the two scrapes' answers: a starved server answers a
      // scrape late, and its counters then cover more than the client's window.
      const span = last.map((s, i) => Math.max(0.001, (s.at - first[i].at) / 1000));
      const servers = last.map((s, i): SideLoad => {
        const longKinds = longPausesBetween(first[i], s);
        return {
          cpuPct: ((s.sum('arena_process_cpu_seconds_total') - first[i].sum('arena_process_cpu_seconds_total')) / span[i]) * 100,
          lagP99Ms: beyondTick(s.sum('arena_nodejs_eventloop_lag_p99_seconds') * 1000),
          gcPct: ((s.sum('arena_nodejs_gc_duration_seconds_sum') - first[i].sum('arena_nodejs_gc_duration_seconds_sum')) / span[i]) * 100,
          heapMiB: s.sum('arena_nodejs_heap_size_used_bytes') / 1024 / 1024,
          gcLongPauseKinds: longKinds,
          gcLongPauses: Object.values(longKinds).reduce((a, n) => a + n, 0),
          runWaitPct: waitPct(i + 1),
          pageFaultsPerSec: faultRate(i + 1),
        };
      });
      const delta = (name: string, i: number) => last[i].sum(name) - first[i].sum(name);
      const msgIn = last.reduce((a, _, i) => a + delta('arena_messages_in_total', i), 0);
      const msgOut = last.reduce((a, _, i) => a + delta('arena_messages_out_total', i), 0);
      const inRate = last.reduce((a, _, i) => a + delta('arena_messages_in_total', i) / span[i], 0);
      const outRate = last.reduce((a, _, i) => a + delta('arena_messages_out_total', i) / span[i], 0);
      const clientCpuPct = ((cpu.user + cpu.system) / 1e6 / seconds) * 100;
      const machineCpuPct = jiffies0 && jiffies1 && jiffies1.total > jiffies0.total
        ? ((jiffies1.busy - jiffies0.busy) / (jiffies1.total - jiffies0.total)) * os.cpus().length * 100 : undefined;
      return {
        seconds,
        serverSeconds: span,
        client: {
          cpuPct: clientCpuPct, elu: elu.utilization, lagP99Ms: beyondTick(h.percentile(99) / 1e6),
          gcPct: (gcMs / 1000 / seconds) * 100, heapMiB: process.memoryUsage().heapUsed / 1024 / 1024, gcLongPauses: gcLong, runWaitPct: waitPct(0), pageFaultsPerSec: faultRate(0),
        },
        servers,
        serverMessagesInPerSec: inRate,
        serverMessagesOutPerSec: outRate,
        serverMessagesIn: msgIn,
        serverMessagesOut: msgOut,
        loadavg1: os.loadavg()[0],
        machineCpuPct,
        othersCpuPct: machineCpuPct === undefined ? undefined : Math.max(0, machineCpuPct - clientCpuPct - servers.reduce((a, x) => a + x.cpuPct, 0)),
      };
    },
  };
}

/** One line describing a window's load on both sides. */
export function describeLoad(w: WindowReport): string {
  const mem = (s: SideLoad) => `gc ${s.gcPct.toFixed(0)}%${s.gcLongPauses > 0 ? ` (${s.gcLongPauses} pause${s.gcLongPauses > 1 ? 's' : ''} over 100 ms${s.gcLongPauseKinds ? `: ${Object.keys(s.gcLongPauseKinds).join(', ')}` : ''})` : ''}, heap ${s.heapMiB.toFixed(0)} MiB${s.pageFaultsPerSec === undefined ? '' : `, ${Math.round(s.pageFaultsPerSec).toLocaleString('en-US')} page faults/s`}${s.runWaitPct === undefined ? '' : `, waited for a core ${s.runWaitPct.toFixed(0)}%`}`;
  const srv = w.servers.map((s, i) => `server${w.servers.length > 1 ? i + 1 : ''} cpu ${s.cpuPct.toFixed(0)}% lag p99 ${s.lagP99Ms.toFixed(1)} ms, ${mem(s)}`).join('; ');
  return `bench client cpu ${w.client.cpuPct.toFixed(0)}% (loop busy ${((w.client.elu ?? 0) * 100).toFixed(0)}%, lag p99 ${w.client.lagP99Ms.toFixed(1)} ms, ${mem(w.client)}); ${srv}; ${w.machineCpuPct === undefined ? '' : `machine ${w.machineCpuPct.toFixed(0)}% (others ${(w.othersCpuPct ?? 0).toFixed(0)}%); `}loadavg ${w.loadavg1.toFixed(1)}`;
}

/** Which side looks like the bottleneck over a window (a core is 100%; this machine's cores are shared). */
export function bottleneck(w: WindowReport): string {
  const server = Math.max(...w.servers.map((s) => s.cpuPct)) >= 85;
  // The client counts as saturated when its loop is never idle, even if the machine gives it less CPU.
  const client = w.client.cpuPct >= 85 || (w.client.elu ?? 0) >= 0.95;
  if (server && client) return 'both bench client and server saturated';
  if (server) return 'server CPU (event loop busy)';
  if (client) return `bench client (event loop ${Math.round((w.client.elu ?? 0) * 100)}% busy, ${Math.round(w.client.cpuPct)}% CPU)`;
  const cores = os.cpus().length;
  if (w.loadavg1 > cores * 1.5) return `neither process at 100%: the machine is oversubscribed (loadavg ${w.loadavg1.toFixed(1)} on ${cores} cores)`;
  return 'neither side CPU-saturated (latency-bound)';
}
