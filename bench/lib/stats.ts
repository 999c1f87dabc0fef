/** Small statistics helpers for the benchmarks: they print figures, they never pass or fail. */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** The q-quantile (0..1) of a sample, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
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

