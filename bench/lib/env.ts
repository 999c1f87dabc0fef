/** A number from the environment for a benchmark's sizes: `dflt` when unset or blank, an error below `min` or not a number. */
export function num(name: string, dflt: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name}=${JSON.stringify(raw)}: expected a number ≥ ${min}`);
  return n;
}
