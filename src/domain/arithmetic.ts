/**
 * Generated arithmetic questions, so the math pool never runs dry. Each grade has its own kinds of
 * exercise (see `generateArithmetic`). Everything is computed on integers (decimals as hundredths),
 * so answers are exact, and every decision goes through the seeded `Rng`, so the same rng state
 * always yields the same question. Negative numbers are written with the minus sign U+2212.
 */
import type { Rng } from './random';
import type { QuestionInput } from './questionPack';

/** A generated question: same shape as a curated one, with subject "math". */
export type GeneratedQuestion = QuestionInput & { subject: 'math' };

export const ARITHMETIC_GRADES = [1, 2, 3, 4, 5, 6, 7, 8] as const;

/** Unicode minus sign used for subtraction and negative numbers. */
export const MINUS = '\u2212';
/** Box standing for the missing number in "What number makes this true: 6 × ▢ = 42?". */
export const BLANK = '\u25a2';

/** Internal draft: the correct value and candidate distractors, all as integers in units of 1/scale. */
interface Draft {
  prompt: string;
  difficulty: number;
  answer: number;
  /** Plausible wrong answers, most typical mistakes (may contain the answer or repeats: filtered later). */
  distractors: number[];
  /** 1 for whole numbers, 100 when values are hundredths. */
  scale?: 1 | 100;
  /** Whether negative choices make sense (from grade 6 on). */
  allowNegative?: boolean;
}

/** Formats an integer, negatives with U+2212. */
export function formatInteger(n: number): string {
  return n < 0 ? `${MINUS}${-n}` : String(n);
}

/** Formats `value / scale` exactly, without trailing zeros: 250/100 -> "2.5", 400/100 -> "4". */
export function formatScaled(value: number, scale: 1 | 100): string {
  if (scale === 1) return formatInteger(value);
  const abs = Math.abs(value);
  const whole = Math.floor(abs / scale);
  const frac = abs % scale;
  const body = frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(2, '0').replace(/0+$/, '')}`;
  return value < 0 ? `${MINUS}${body}` : body;
}

/** A term inside an expression: negative numbers in parentheses after an operator. */
function term(n: number): string {
  return n < 0 ? `(${formatInteger(n)})` : String(n);
}

/** "3x + 4", "x − 7", "−2x": a linear expression ax + b for prompts. */
function linear(a: number, b: number): string {
  const ax = a === 1 ? 'x' : a === -1 ? `${MINUS}x` : `${formatInteger(a)}x`;
  if (b === 0) return ax;
  return b > 0 ? `${ax} + ${b}` : `${ax} ${MINUS} ${-b}`;
}

const SUPERSCRIPT = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
function superscript(n: number): string {
  return String(n)
    .split('')
    .map((d) => SUPERSCRIPT[Number(d)])
    .join('');
}

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

// ------------------------------------------------------------------ grade 1: within 20

function grade1(rng: Rng): Draft {
  if (rng.next() < 0.5) {
    const a = rng.int(1, 19);
    const b = rng.int(1, 20 - a);
    const sum = a + b;
    const difficulty = sum <= 10 ? 1 : (a % 10) + (b % 10) < 10 || a >= 10 || b >= 10 ? 2 : 3;
    return { prompt: `What is ${a} + ${b}?`, difficulty, answer: sum, distractors: [sum + 1, sum - 1, sum + 2, sum - 2, Math.abs(a - b), sum + 10] };
  }
  const a = rng.int(2, 20);
  const b = rng.int(1, a - 1);
  const diff = a - b;
  const difficulty = a <= 10 ? 1 : a % 10 >= b % 10 ? 2 : 3;
  return { prompt: `What is ${a} ${MINUS} ${b}?`, difficulty, answer: diff, distractors: [diff + 1, diff - 1, diff + 2, diff - 2, a + b, diff + 10] };
}

// ------------------------------------------------------------------ grade 2: within 100

/** Column addition forgetting to carry: 47 + 38 -> 75. */
function addWithoutCarry(a: number, b: number): number {
  return ((Math.floor(a / 10) + Math.floor(b / 10)) % 10) * 10 + ((a + b) % 10);
}

/** Column subtraction taking the smaller digit from the larger one: 52 − 27 -> 35. */
function subtractSmallerDigit(a: number, b: number): number {
  return Math.abs(Math.floor(a / 10) - Math.floor(b / 10)) * 10 + Math.abs((a % 10) - (b % 10));
}

function grade2(rng: Rng): Draft {
  const kind = rng.int(0, 4);
  if (kind <= 1) {
    const a = rng.int(10, 89);
    const b = rng.int(2, 99 - a);
    const sum = a + b;
    const carry = (a % 10) + (b % 10) >= 10;
    const difficulty = !carry ? 1 : 2;
    return { prompt: `What is ${a} + ${b}?`, difficulty, answer: sum, distractors: [carry ? addWithoutCarry(a, b) : sum + 10, sum + 1, sum - 1, sum - 10, sum + 10] };
  }
  if (kind <= 3) {
    const a = rng.int(20, 100);
    const b = rng.int(2, a - 1);
    const diff = a - b;
    const borrow = a % 10 < b % 10;
    const difficulty = !borrow ? 1 : 2;
    return {
      prompt: `What is ${a} ${MINUS} ${b}?`,
      difficulty,
      answer: diff,
      distractors: [borrow ? subtractSmallerDigit(a, b) : diff - 10, diff + 1, diff - 1, diff + 10, diff - 10],
    };
  }
  // missing addend: 34 + ▢ = 71
  const a = rng.int(10, 80);
  const x = rng.int(3, 99 - a);
  const total = a + x;
  return { prompt: `What number makes this true: ${a} + ${BLANK} = ${total}?`, difficulty: 3, answer: x, distractors: [total + a, x + 1, x - 1, x + 10, x - 10] };
}

// ------------------------------------------------------------------ grade 3: tables and division

function tableDifficulty(a: number, b: number): number {
  const easy = (n: number): boolean => n <= 2 || n === 5 || n === 10;
  if (easy(a) || easy(b)) return 1;
  return a >= 6 && b >= 6 ? 3 : 2;
}

function grade3(rng: Rng): Draft {
  const a = rng.int(1, 10);
  const b = rng.int(1, 10);
  const product = a * b;
  const kind = rng.int(0, 3);
  if (kind <= 1) {
    return {
      prompt: `What is ${a} × ${b}?`,
      difficulty: tableDifficulty(a, b),
      answer: product,
      distractors: [a * (b + 1), a * (b - 1), (a + 1) * b, (a - 1) * b, a + b, product + 1, product - 1, product + 10],
    };
  }
  if (kind === 2) {
    // product ÷ a = b
    return { prompt: `What is ${product} ÷ ${a}?`, difficulty: tableDifficulty(a, b), answer: b, distractors: [b + 1, b - 1, b + 2, product - a, a, b + 10] };
  }
  return {
    prompt: `What number makes this true: ${a} × ${BLANK} = ${product}?`,
    difficulty: Math.min(3, tableDifficulty(a, b) + 1),
    answer: b,
    distractors: [product - a, b + 1, b - 1, b + 2, product + a, a],
  };
}

// ------------------------------------------------------------------ grade 4: multi-digit × and ÷

function grade4(rng: Rng): Draft {
  const kind = rng.int(0, 5);
  if (kind === 0 || kind === 1) {
    const a = kind === 0 ? rng.int(12, 99) : rng.int(101, 999);
    const b = rng.int(2, 9);
    const p = a * b;
    const noCarry = (Math.floor(a / 10) * b) * 10 + ((a % 10) * b) % 10; // dropped the carry out of the ones column
    return { prompt: `What is ${a} × ${b}?`, difficulty: kind + 1, answer: p, distractors: [noCarry, p + b, p - b, p + 10, p - 10, a * (b + 1)] };
  }
  if (kind === 2) {
    const a = rng.int(11, 99);
    const b = rng.int(11, 40);
    const p = a * b;
    const unshifted = a * (b % 10) + a * Math.floor(b / 10); // forgot the place-value shift of the tens partial product
    return { prompt: `What is ${a} × ${b}?`, difficulty: 3, answer: p, distractors: [unshifted, p + a, p - a, p + 10, p - 10, p + 100] };
  }
  if (kind === 3 || kind === 4) {
    const d = rng.int(2, 9);
    const q = kind === 3 ? rng.int(11, 99) : rng.int(101, 999);
    const n = d * q;
    return { prompt: `What is ${n} ÷ ${d}?`, difficulty: kind === 3 ? 1 : 2, answer: q, distractors: [q + 1, q - 1, q + 10, q - 10, q * 10, Math.floor(q / 10)] };
  }
  const d = rng.int(11, 25);
  const q = rng.int(3, 40);
  const n = d * q;
  return { prompt: `What is ${n} ÷ ${d}?`, difficulty: 3, answer: q, distractors: [q + 1, q - 1, q + 10, q - 10, q + 2] };
}

// ------------------------------------------------------------------ grade 5: fractions of numbers, decimals

const FRACTION_DENOMINATORS = [2, 3, 4, 5, 6, 8, 10];

/** A positive value in hundredths with exactly `places` decimal places (1 or 2), whole part up to `maxWhole`. */
function decimal(rng: Rng, places: 1 | 2, maxWhole: number): number {
  const whole = rng.int(0, maxWhole);
  if (places === 1) return whole * 100 + rng.int(1, 9) * 10;
  let frac = rng.int(1, 99);
  if (frac % 10 === 0) frac += rng.int(1, 9);
  return whole * 100 + frac;
}

function grade5(rng: Rng): Draft {
  if (rng.next() < 0.5) {
    const den = rng.pick(FRACTION_DENOMINATORS);
    let num = rng.int(1, den - 1);
    while (gcd(num, den) !== 1) num = rng.int(1, den - 1);
    const k = rng.int(2, 12);
    const whole = den * k;
    const ans = num * k;
    const difficulty = num === 1 ? 1 : den <= 5 ? 2 : 3;
    return {
      prompt: `What is ${num}/${den} of ${whole}?`,
      difficulty,
      answer: ans,
      distractors: [k, whole - ans, whole * num, ans + k, ans - k, ans + 1, ans + 10],
    };
  }
  const placesA: 1 | 2 = rng.next() < 0.5 ? 1 : 2;
  const placesB: 1 | 2 = rng.next() < 0.5 ? 1 : 2;
  const a = decimal(rng, placesA, 20);
  const b = decimal(rng, placesB, 20);
  const sum = a + b;
  const difficulty = placesA === 1 && placesB === 1 ? 1 : placesA === placesB ? 2 : 3;
  const distractors = [sum + 10, sum - 10, sum + 100, sum - 100];
  // lining up the last digits instead of the decimal points: 2.5 + 1.75 treated as 0.25 + 1.75
  if (placesA !== placesB) distractors.unshift(placesA === 1 ? Math.floor(a / 10) + b : a + Math.floor(b / 10));
  if (placesA === 2 || placesB === 2) distractors.push(sum + 1, sum - 1);
  const prompt = `What is ${formatScaled(a, 100)} + ${formatScaled(b, 100)}?`;
  return { prompt, difficulty, answer: sum, distractors, scale: 100 };
}

// ------------------------------------------------------------------ grade 6: negative numbers, percentages

const PERCENTS: readonly { p: number; difficulty: number }[] = [
  { p: 10, difficulty: 1 }, { p: 50, difficulty: 1 }, { p: 100, difficulty: 1 },
  { p: 20, difficulty: 2 }, { p: 25, difficulty: 2 }, { p: 75, difficulty: 2 },
  { p: 5, difficulty: 3 }, { p: 15, difficulty: 3 }, { p: 30, difficulty: 3 }, { p: 40, difficulty: 3 },
  { p: 60, difficulty: 3 }, { p: 80, difficulty: 3 }, { p: 90, difficulty: 3 },
];

function grade6(rng: Rng): Draft {
  const kind = rng.int(0, 4);
  if (kind === 0) {
    const a = -rng.int(1, 20);
    const b = rng.int(1, 20);
    const [x, y] = rng.next() < 0.5 ? [a, b] : [b, a];
    const s = x + y;
    return { prompt: `What is ${formatInteger(x)} + ${term(y)}?`, difficulty: 1, answer: s, distractors: [-s, Math.abs(x) + Math.abs(y), -(Math.abs(x) + Math.abs(y)), s + 1, s - 1], allowNegative: true };
  }
  if (kind === 1) {
    const a = rng.int(-15, 14) || 15; // never 0
    const b = rng.int(1, 20);
    const d = a - b;
    return { prompt: `What is ${formatInteger(a)} ${MINUS} ${b}?`, difficulty: 2, answer: d, distractors: [-d, a + b, d + 1, d - 1, d + 2], allowNegative: true };
  }
  if (kind === 2) {
    const a = rng.int(-15, 15);
    const b = -rng.int(1, 15);
    const d = a - b;
    return { prompt: `What is ${formatInteger(a)} ${MINUS} ${term(b)}?`, difficulty: 3, answer: d, distractors: [a + b, -d, d + 1, d - 1, -(a + b)], allowNegative: true };
  }
  if (kind === 3) {
    let a = rng.int(2, 12);
    let b = rng.int(2, 12);
    const signs = rng.int(0, 2); // 0: −a × b, 1: a × −b, 2: −a × −b
    if (signs !== 1) a = -a;
    if (signs !== 0) b = -b;
    const p = a * b;
    return { prompt: `What is ${formatInteger(a)} × ${term(b)}?`, difficulty: 3, answer: p, distractors: [-p, a + b, p + Math.abs(a), p - Math.abs(a), -(a + b)], allowNegative: true };
  }
  const { p, difficulty } = rng.pick(PERCENTS);
  let whole = rng.int(1, 25) * 20; // 20..500
  while ((p * whole) % 100 !== 0) whole += 20;
  const ans = (p * whole) / 100;
  const distractors = [whole - ans, ans + whole / 10, ans - whole / 10, ans * 10, ans + 1, p].filter(Number.isInteger);
  return { prompt: `What is ${p}% of ${whole}?`, difficulty, answer: ans, distractors };
}

// ------------------------------------------------------------------ grade 7: order of operations, equations

function grade7(rng: Rng): Draft {
  const kind = rng.int(0, 5);
  if (kind === 0) {
    const a = rng.int(2, 20), b = rng.int(2, 9), c = rng.int(2, 9);
    const v = a + b * c;
    return { prompt: `What is ${a} + ${b} × ${c}?`, difficulty: 1, answer: v, distractors: [(a + b) * c, v + 1, v - 1, a * b + c, v + 10] };
  }
  if (kind === 1) {
    const b = rng.int(2, 9), c = rng.int(2, 9);
    const a = b * c + rng.int(1, 30);
    const v = a - b * c;
    return { prompt: `What is ${a} ${MINUS} ${b} × ${c}?`, difficulty: 2, answer: v, distractors: [(a - b) * c, v + 1, v - 1, v + 10, a - b - c], allowNegative: true };
  }
  if (kind === 2) {
    const a = rng.int(2, 15), b = rng.int(2, 15), c = rng.int(2, 9);
    const v = (a + b) * c;
    return { prompt: `What is (${a} + ${b}) × ${c}?`, difficulty: 2, answer: v, distractors: [a + b * c, a * c + b, v + c, v - c, v + 10] };
  }
  if (kind === 3) {
    const c = rng.int(2, 9), q = rng.int(2, 12), a = rng.int(2, 30);
    const b = c * q;
    const v = a + q;
    const wrong = (a + b) % c === 0 ? (a + b) / c : v + c;
    return { prompt: `What is ${a} + ${b} ÷ ${c}?`, difficulty: 2, answer: v, distractors: [wrong, v + 1, v - 1, a + b - c, v + 10] };
  }
  const x = rng.int(1, 15);
  const a = rng.int(2, 9);
  if (kind === 4) {
    const b = rng.int(1, 30);
    if (rng.next() < 0.5) {
      const c = x + b;
      return { prompt: `Solve for x: x + ${b} = ${c}`, difficulty: 1, answer: x, distractors: [c + b, x + 1, x - 1, c, x + 10] };
    }
    const c = a * x;
    return { prompt: `Solve for x: ${a}x = ${c}`, difficulty: 1, answer: x, distractors: [c - a, c + a, x + 1, x - 1, c * a] };
  }
  const b = rng.int(1, 20) * (rng.next() < 0.5 ? 1 : -1);
  const c = a * x + b;
  const forgotDivide = c - b;
  const wrongSign = (c + b) % a === 0 ? (c + b) / a : x + 2;
  return { prompt: `Solve for x: ${linear(a, b)} = ${formatInteger(c)}`, difficulty: 3, answer: x, distractors: [wrongSign, forgotDivide, x + 1, x - 1, -x], allowNegative: true };
}

// ------------------------------------------------------------------ grade 8: exponents, roots, linear equations

const POWERS: readonly { base: number; maxExp: number }[] = [
  { base: 2, maxExp: 10 }, { base: 3, maxExp: 6 }, { base: 4, maxExp: 5 }, { base: 5, maxExp: 4 }, { base: 6, maxExp: 3 },
  { base: 7, maxExp: 3 }, { base: 8, maxExp: 3 }, { base: 9, maxExp: 3 }, { base: 10, maxExp: 6 }, { base: 11, maxExp: 2 },
  { base: 12, maxExp: 2 }, { base: 13, maxExp: 2 }, { base: 15, maxExp: 2 }, { base: 20, maxExp: 3 },
];

function grade8(rng: Rng): Draft {
  const kind = rng.int(0, 4);
  if (kind <= 1) {
    const { base, maxExp } = rng.pick(POWERS);
    const exp = rng.int(0, maxExp);
    const v = base ** exp;
    const difficulty = exp === 0 || exp === 1 ? 2 : exp === 2 || v <= 100 ? 1 : 3;
    const distractors = [base * exp, base ** (exp + 1), exp === 0 ? 0 : base ** (exp - 1), exp === 0 ? base : v + base, v + 1, v - 1];
    if (exp >= 2 && exp ** base <= 1_000_000) distractors.unshift(exp ** base);
    return { prompt: `What is ${base}${superscript(exp)}?`, difficulty, answer: v, distractors };
  }
  if (kind === 2) {
    const k = rng.int(1, 20);
    const sq = k * k;
    const difficulty = k <= 10 ? 1 : k <= 15 ? 2 : 3;
    const distractors = [k + 1, k - 1, k + 2, sq / 2, k * 2, k + 10].filter(Number.isInteger);
    return { prompt: `What is √${sq}?`, difficulty, answer: k, distractors };
  }
  // ax + b = cx + d with an integer (possibly negative) solution
  const x = rng.int(-10, 10);
  const a = rng.int(2, 9);
  let c = rng.int(1, 8);
  if (c === a) c = a - 1;
  const b = rng.int(-15, 15);
  const d = (a - c) * x + b;
  const distractors = [-x, x + 1, x - 1, x + 2];
  if ((d + b) % (a - c) === 0) distractors.unshift((d + b) / (a - c)); // moved b with the wrong sign
  if ((d - b) % (a + c) === 0) distractors.unshift((d - b) / (a + c)); // moved cx with the wrong sign
  return { prompt: `Solve for x: ${linear(a, b)} = ${linear(c, d)}`, difficulty: 3, answer: x, distractors, allowNegative: true };
}

const GRADES: Record<number, (rng: Rng) => Draft> = { 1: grade1, 2: grade2, 3: grade3, 4: grade4, 5: grade5, 6: grade6, 7: grade7, 8: grade8 };

/** Three distinct wrong answers: typical mistakes first (in random order), then small offsets. */
function pickDistractors(rng: Rng, draft: Draft): number[] {
  const scale = draft.scale ?? 1;
  // without negatives in play, 0 is no plausible slip for an answer like 9 (it only comes from "answer − k")
  const zeroOk = draft.allowNegative || Math.abs(draft.answer) < 5 * scale;
  const ok = (v: number): boolean =>
    Number.isSafeInteger(v) && v !== draft.answer && (draft.allowNegative || v >= 0) && (v !== 0 || zeroOk) && Math.abs(v) <= 100_000_000;
  const out: number[] = [];
  const add = (value: number): void => {
    const v = value + 0; // −0 -> 0
    if (out.length < 3 && ok(v) && !out.includes(v)) out.push(v);
  };
  for (const v of rng.shuffle(draft.distractors)) add(v);
  const step = scale === 100 ? 10 : 1; // decimals: nudge by tenths
  for (const k of rng.shuffle([1, -1, 2, -2, 10, -10])) add(draft.answer + k * step);
  for (let k = 3; out.length < 3; k++) {
    add(draft.answer + k * step);
    add(draft.answer - k * step);
  }
  return out;
}

/** 32-bit FNV-1a hash as 8 hex digits. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * A generated arithmetic question for `grade` (1..8) with id `gen-math-g{grade}-{seq}-{hash}`.
 * Grade 1: + and − within 20; 2: within 100, missing addend; 3: times tables, division, missing factor;
 * 4: multi-digit × and ÷ with whole results; 5: fractions of numbers, decimal addition;
 * 6: negative numbers, percentages; 7: order of operations, one- and two-step equations;
 * 8: powers, square roots of perfect squares, linear equations with x on both sides.
 */
export function generateArithmetic(grade: number, rng: Rng, seq: number): GeneratedQuestion {
  const make = GRADES[grade];
  if (!Number.isInteger(grade) || !make) throw new RangeError(`grade must be an integer from 1 to 8, got ${grade}`);
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`seq must be a non-negative integer, got ${seq}`);
  const draft = make(rng);
  const scale = draft.scale ?? 1;
  const values = rng.shuffle([draft.answer, ...pickDistractors(rng, draft)]);
  const choices = values.map((v) => formatScaled(v, scale));
  const answer = values.indexOf(draft.answer);
  const hash = fnv1a(`${draft.prompt}|${choices.join('|')}`);
  return {
    id: `gen-math-g${grade}-${seq}-${hash}`,
    subject: 'math',
    grade,
    difficulty: draft.difficulty,
    prompt: draft.prompt,
    choices,
    answer,
  };
}
