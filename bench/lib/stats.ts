/** Small statistics helpers for the benchmarks: they print figures, they never pass or fail. */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** The q-quantile (0..1) of a sample, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[nearestRank(sorted.length, q)];
}

/** The index of the q-quantile (0..1) in a sorted sample of n (nearest-rank). */
function nearestRank(n: number, q: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
}

/** Median, p99, mean and count of a sample. */
export function summarize(values: readonly number[]): { n: number; median: number; p99: number; mean: number; max: number } {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  return { n, median: quantile(values, 0.5), p99: quantile(values, 0.99), mean, max: n ? Math.max(...values) : NaN };
}

/** One aligned line of a figures table. */
export function row(label: string, s: { n: number; median: number; p99: number }, unit = 'ms', extra = ''): string {
  return `${label.padEnd(44)} n=${String(s.n).padStart(6)}  median=${s.median.toFixed(2).padStart(8)} ${unit}  p99=${s.p99.toFixed(2).padStart(8)} ${unit}${extra ? '  ' + extra : ''}`;
}

/** Milliseconds since `start` (from performance.now()). */
export function since(start: number): number {
  return performance.now() - start;
}

/** How busy a thread was over a window: event-loop delay percentiles and GC pauses, in ms. */
export interface ThreadLoad { loopP50: number; loopP99: number; loopMax: number; gcCount: number; gcTotalMs: number; gcMaxMs: number }

/** Starts watching this thread's event-loop delay and GC pauses; the returned function stops and reports. */
export function watchThread(label = ''): () => ThreadLoad {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let gcCount = 0; let gcTotalMs = 0; let gcMaxMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { if (process.env.BENCH_GC_TRACE) console.error(`${label} gc kind=${(e as unknown as { detail?: { kind?: number } }).detail?.kind} ${e.duration.toFixed(1)} ms at ${e.startTime.toFixed(0)}`); gcCount++; gcTotalMs += e.duration; gcMaxMs = Math.max(gcMaxMs, e.duration); }
  });
  obs.observe({ entryTypes: ['gc'] });
  return () => {
    loop.disable(); obs.disconnect();
    return { loopP50: loop.percentile(50) / 1e6, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6, gcCount, gcTotalMs, gcMaxMs };
  };
}

/** A small seeded generator (mulberry32), so that a report's resampling is the same every time it is computed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * How sure a ratio of two pooled quantiles is, when the samples come in paired groups (the flood phase's
 * cycles: group k of `a` and of `b` were measured side by side): the central `level` interval of
 * quantile(b) / quantile(a) over `reps` resamplings of whole groups, with replacement (a cluster bootstrap;
 * seeded, so the same samples give the same interval). Resampling whole groups keeps what a group shares
 * (a stall, the host's mood that minute) together, as it was measured.
 */
export function ratioInterval(a: readonly (readonly number[])[], b: readonly (readonly number[])[], q: number, reps = 1000, level = 0.95, seed = 1): [number, number] {
  const n = Math.min(a.length, b.length);
  if (n === 0) return [NaN, NaN];
  const random = seeded(seed);
  // quantile() on a typed array (sorted numerically without a comparator: fast enough for a thousand
  // resamplings of tens of thousands of samples).
  const pooled = (groups: readonly (readonly number[])[], picks: number[]): number => {
    const all = new Float64Array(picks.reduce((len, g) => len + groups[g].length, 0));
    let i = 0;
    for (const g of picks) for (const x of groups[g]) all[i++] = x;
    if (all.length === 0) return NaN;
    all.sort();
    return all[nearestRank(all.length, q)];
  };
  const ratios: number[] = [];
  for (let r = 0; r < reps; r++) {
    const picks = Array.from({ length: n }, () => Math.floor(random() * n));
    ratios.push(pooled(b, picks) / pooled(a, picks));
  }
  ratios.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return [quantile(ratios, tail), quantile(ratios, 1 - tail)];
}
