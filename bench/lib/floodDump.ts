/**
 * Reading a flood phase's dump (bench/load.ts, BENCH_FLOOD_DUMP): where the others' slow round trips
 * fall, by window and around each join of the flooder and of the control. Pure functions over the dump;
 * bench/floodDump.ts prints them (`npm run bench:flood-dump -- file.json`). bench/load.ts writes the dump
 * with this type, so the two cannot drift apart.
 */
import { quantile } from './stats';

export type Condition = 'baseline' | 'flooded' | 'churned';
export const CONDITIONS: readonly Condition[] = ['baseline', 'flooded', 'churned'];

export interface FloodDump {
  /** performance.timeOrigin of the bench process: `at` and `windows` are relative to it, `attempts` are epoch ms. */
  origin: number;
  /** When each of the others' round trips ended (its reply arrived), and how long it took (ms). */
  at: number[];
  ms: number[];
  windows: Record<Condition, Array<[number, number]>>;
  /** Every join attempt of the flooder and the control: when it began (epoch ms), and whether it got in. */
  attempts: Array<[number, boolean]>;
  /** Each window's load (the servers' CPU and GC, the bench client's CPU), as bench/load.ts measured it; not read here. */
  loads?: Record<Condition, Array<{ servers: Array<{ cpuPct: number; gcPct: number }>; clientCpuPct: number; seconds: number }>>;
}

/** Checks the shape of a parsed dump; throws naming the first thing wrong. */
export function asFloodDump(x: unknown): FloodDump {
  const d = x as Partial<FloodDump> | null;
  const numbers = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === 'number');
  if (!d || typeof d !== 'object') throw new Error('not a JSON object');
  if (typeof d.origin !== 'number') throw new Error('origin: expected a number');
  if (!numbers(d.at) || !numbers(d.ms) || d.at!.length !== d.ms!.length) throw new Error('at, ms: expected two lists of numbers of one length');
  for (const c of CONDITIONS) {
    const w = d.windows?.[c];
    if (!Array.isArray(w) || !w.every((p) => Array.isArray(p) && p.length === 2 && numbers(p))) throw new Error(`windows.${c}: expected a list of [from, to]`);
  }
  if (!Array.isArray(d.attempts) || !d.attempts.every((a) => Array.isArray(a) && typeof a[0] === 'number' && typeof a[1] === 'boolean')) {
    throw new Error('attempts: expected a list of [epoch ms, got in]');
  }
  return d as FloodDump;
}

/** The round trips that ended in a condition's windows, as [ms into the window, round trip ms]. */
function inWindows(d: FloodDump, c: Condition): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [from, to] of d.windows[c]) {
    for (let i = 0; i < d.at.length; i++) if (d.at[i] >= from && d.at[i] < to) out.push([d.at[i] - from, d.ms[i]]);
  }
  return out;
}

/** The p99 of the round trips in the alone windows: what "slow" means below. */
export function aloneP99(d: FloodDump): number {
  return quantile(inWindows(d, 'baseline').map(([, ms]) => ms), 0.99);
}

export interface WindowBins { condition: Condition; p99: number; slow: number; bins: number[] }

/** Per condition: its pooled p99, and its round trips over `threshold`, in bins of `binMs` from each window's start. */
export function windowBins(d: FloodDump, binMs: number, threshold: number): WindowBins[] {
  return CONDITIONS.map((condition) => {
    const xs = inWindows(d, condition);
    const span = Math.max(0, ...d.windows[condition].map(([from, to]) => to - from));
    const bins = new Array<number>(Math.max(1, Math.ceil(span / binMs))).fill(0);
    let slow = 0;
    for (const [off, ms] of xs) {
      if (ms <= threshold) continue;
      slow++;
      bins[Math.min(bins.length - 1, Math.floor(off / binMs))]++;
    }
    return { condition, p99: quantile(xs.map(([, ms]) => ms), 0.99), slow, bins };
  });
}

/** The instants (relative to origin) to look around: the joins that got in, by condition, the refused rejoins, and a quiet one per alone window. */
export function joinEvents(d: FloodDump, quietOffsetMs = 300): Record<'flooderJoins' | 'controlJoins' | 'refused' | 'quiet', number[]> {
  const rel = (epoch: number) => epoch - d.origin;
  const inAny = (t: number, ws: Array<[number, number]>) => ws.some(([from, to]) => t >= from && t < to);
  const joins = d.attempts.filter(([, ok]) => ok).map(([e]) => rel(e));
  return {
    flooderJoins: joins.filter((t) => inAny(t, d.windows.flooded)),
    controlJoins: joins.filter((t) => inAny(t, d.windows.churned)),
    refused: d.attempts.filter(([, ok]) => !ok).map(([e]) => rel(e)),
    quiet: d.windows.baseline.map(([from]) => from + quietOffsetMs),
  };
}

export interface AroundEvents {
  events: number;
  /** From `fromMs` (negative: before the event), bins of `binMs`: round trips sent then that went over the threshold... */
  slow: number[];
  /** ...and the mean round trip of those sent then (NaN where none was). */
  meanMs: number[];
  /** All the slow ones in the span, per event. */
  slowPerEvent: number;
}

/**
 * The others' round trips around each event, by when they were SENT (their end less their length), in
 * bins of `binMs` from `fromMs` to `toMs` relative to the event: a stretch that holds the server up
 * shows as slow round trips sent just before and during it.
 */
export function aroundEvents(d: FloodDump, events: readonly number[], fromMs: number, toMs: number, binMs: number, threshold: number): AroundEvents {
  const n = Math.max(1, Math.ceil((toMs - fromMs) / binMs));
  const slow = new Array<number>(n).fill(0);
  const sum = new Array<number>(n).fill(0);
  const count = new Array<number>(n).fill(0);
  const order = d.at.map((_, i) => i).sort((a, b) => (d.at[a] - d.ms[a]) - (d.at[b] - d.ms[b]));
  const sent = order.map((i) => d.at[i] - d.ms[i]);
  const firstFrom = (t: number) => { let lo = 0, hi = sent.length; while (lo < hi) { const m = (lo + hi) >> 1; if (sent[m] < t) lo = m + 1; else hi = m; } return lo; };
  let total = 0;
  for (const e of events) {
    for (let k = firstFrom(e + fromMs); k < sent.length && sent[k] < e + toMs; k++) {
      const b = Math.floor((sent[k] - e - fromMs) / binMs);
      const ms = d.ms[order[k]];
      sum[b] += ms; count[b]++;
      if (ms > threshold) { slow[b]++; total++; }
    }
  }
  return { events: events.length, slow, meanMs: sum.map((s, b) => (count[b] ? s / count[b] : NaN)), slowPerEvent: events.length ? total / events.length : NaN };
}
