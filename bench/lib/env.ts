/** A number from the environment for a benchmark's sizes: `dflt` when unset or blank, an error below `min` or not a number. */
export function num(name: string, dflt: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name}=${JSON.stringify(raw)}: expected a number ≥ ${min}`);
  return n;
}

/** One of `choices` from the environment: the first when unset or blank, an error naming the choices otherwise. */
export function oneOf<const T extends readonly [string, ...string[]]>(name: string, choices: T): T[number] {
  const raw = (process.env[name] ?? '').trim();
  if (raw === '') return choices[0];
  if (!(choices as readonly string[]).includes(raw)) throw new Error(`${name}=${JSON.stringify(raw)}: expected ${choices.slice(0, -1).join(', ')}${choices.length > 1 ? ' or ' : ''}${choices[choices.length - 1]}`);
  return raw as T[number];
}
