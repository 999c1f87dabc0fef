import { quantile } from './stats';

/**
 * The same figures as stats.ts `summarize` (nearest-rank median and p99, mean, max), for samples of any
 * size: `summarize` spreads the sample into Math.max, which overflows the stack past ~100k values.
 */
export function summarizeMany(values: readonly number[]): { n: number; median: number; p99: number; mean: number; max: number } {
  const n = values.length;
  let sum = 0;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v > max) max = v;
  }
  return { n, median: quantile(values, 0.5), p99: quantile(values, 0.99), mean: n ? sum / n : NaN, max: n ? max : NaN };
}
