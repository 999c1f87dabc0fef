import assert from 'node:assert/strict';
import { generateArithmetic, formatScaled } from '../../src/domain/arithmetic';
import { validateQuestion } from '../../src/domain/questionPack';
import { createRng } from '../../src/domain/random';

// An independent evaluator for the generated prompts, so a wrong answer index makes the test fail.
// Values are exact rationals (numerator/denominator as bigint) to avoid any floating-point doubt.

interface Q { n: bigint; d: bigint }

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
}
function q(n: bigint, d = 1n): Q {
  if (d === 0n) throw new Error('division by zero');
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}
const add = (a: Q, b: Q): Q => q(a.n * b.d + b.n * a.d, a.d * b.d);
const sub = (a: Q, b: Q): Q => q(a.n * b.d - b.n * a.d, a.d * b.d);
const mul = (a: Q, b: Q): Q => q(a.n * b.n, a.d * b.d);
const div = (a: Q, b: Q): Q => q(a.n * b.d, a.d * b.n);
const eq = (a: Q, b: Q): boolean => a.n === b.n && a.d === b.d;

/** Parses a decimal or integer literal like "12", "2.75" or "−3" into an exact rational. */
function literal(text: string): Q {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.replace(/\u2212/g, '-'));
  if (!m) throw new Error(`not a number: ${text}`);
  const frac = m[3] ?? '';
  const v = q(BigInt(m[2] + frac), 10n ** BigInt(frac.length));
  return m[1] ? q(-v.n, v.d) : v;
}

const SUPER: Record<string, string> = { '⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9' };

/** Evaluates an arithmetic expression with + − × ÷ ( ) √ superscript powers, decimals and a variable. */
function evaluate(expr: string, x: Q): Q {
  const tokens = expr
    .replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹]+/g, (s) => ` ^ ${[...s].map((c) => SUPER[c]).join('')} `)
    .match(/\d+(?:\.\d+)?|[+\u2212×÷()√^x▢]|\S/g);
  if (!tokens) throw new Error(`empty expression: ${expr}`);
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const take = (t?: string): string => {
    const tok = tokens[pos++];
    if (tok === undefined || (t !== undefined && tok !== t)) throw new Error(`unexpected ${tok} in ${expr}`);
    return tok;
  };
  const primary = (): Q => {
    const t = peek();
    if (t === '(') {
      take('(');
      const v = sum();
      take(')');
      return v;
    }
    if (t === '√') {
      take('√');
      const v = power();
      const r = BigInt(Math.round(Math.sqrt(Number(v.n))));
      if (v.d !== 1n || r * r !== v.n) throw new Error(`not a perfect square in ${expr}`);
      return q(r);
    }
    if (t === 'x' || t === '▢') {
      take();
      return x;
    }
    if (t !== undefined && /^\d/.test(t)) {
      take();
      if (peek() === 'x' || peek() === '▢') {
        take();
        return mul(literal(t), x); // implicit product: 3x
      }
      return literal(t);
    }
    throw new Error(`unexpected ${t} in ${expr}`);
  };
  const power = (): Q => {
    const base = primary();
    if (peek() !== '^') return base;
    take('^');
    const e = Number(take());
    let v = q(1n);
    for (let i = 0; i < e; i++) v = mul(v, base);
    return v;
  };
  const unary = (): Q => {
    if (peek() === '\u2212') {
      take();
      const v = unary();
      return q(-v.n, v.d);
    }
    return power();
  };
  const product = (): Q => {
    let v = unary();
    while (peek() === '×' || peek() === '÷') {
      const op = take();
      const r = unary();
      v = op === '×' ? mul(v, r) : div(v, r);
    }
    return v;
  };
  const sum = (): Q => {
    let v = product();
    while (peek() === '+' || peek() === '\u2212') {
      const op = take();
      const r = product();
      v = op === '+' ? add(v, r) : sub(v, r);
    }
    return v;
  };
  const v = sum();
  if (pos !== tokens.length) throw new Error(`trailing tokens in ${expr}`);
  return v;
}

/** Solves a linear equation in x (or ▢) from its two sides. */
function solveLinear(left: string, right: string): Q {
  const f = (x: Q): Q => sub(evaluate(left, x), evaluate(right, x));
  const f0 = f(q(0n));
  const slope = sub(f(q(1n)), f0);
  assert.ok(slope.n !== 0n, `not solvable for x: ${left} = ${right}`);
  assert.ok(eq(sub(f(q(2n)), f(q(1n))), slope), `not linear: ${left} = ${right}`);
  return div(q(-f0.n, f0.d), slope);
}

/** The exact correct answer of a generated prompt, computed independently of the generator. */
function expectedAnswer(prompt: string): Q {
  let m = /^What is (\d+)\/(\d+) of (\d+)\?$/.exec(prompt);
  if (m) return div(mul(q(BigInt(m[1])), q(BigInt(m[3]))), q(BigInt(m[2])));
  m = /^What is (\d+)% of (\d+)\?$/.exec(prompt);
  if (m) return div(mul(q(BigInt(m[1])), q(BigInt(m[2]))), q(100n));
  m = /^What is (.+)\?$/.exec(prompt);
  if (m) return evaluate(m[1], q(0n));
  m = /^Solve for x: (.+) = (.+)$/.exec(prompt);
  if (m) return solveLinear(m[1], m[2]);
  m = /^What number makes this true: (.+) = (.+)\?$/.exec(prompt);
  if (m) return solveLinear(m[1], m[2]);
  throw new Error(`unrecognised prompt: ${prompt}`);
}

const SEEDS = 500;

describe('generateArithmetic', () => {
  for (let grade = 1; grade <= 8; grade++) {
    it(`grade ${grade}: ${SEEDS} seeds give valid questions with the right answer index`, () => {
      const difficulties = new Set<number>();
      for (let seed = 0; seed < SEEDS; seed++) {
        const g = generateArithmetic(grade, createRng(`arith-${grade}-${seed}`), seed);
        const where = `grade ${grade} seed ${seed}: ${g.prompt} ${JSON.stringify(g.choices)}`;
        assert.equal(g.subject, 'math', where);
        assert.equal(g.grade, grade, where);
        assert.match(g.id, new RegExp(`^gen-math-g${grade}-${seed}-[0-9a-f]{8}$`), where);
        assert.equal(g.choices.length, 4, where);
        assert.equal(new Set(g.choices).size, 4, `choices not distinct: ${where}`);
        for (const c of g.choices) {
          // exact, canonical numbers: optional minus, no leading zeros, no trailing decimal zeros
          assert.match(c, /^\u2212?(0|[1-9]\d*)(\.\d*[1-9])?$/, `bad number format: ${where}`);
          assert.ok(!c.includes('NaN') && !c.includes('Infinity'), where);
        }
        const values = g.choices.map(literal);
        const expected = expectedAnswer(g.prompt);
        assert.ok(Number.isInteger(g.answer) && g.answer >= 0 && g.answer < 4, where);
        assert.ok(eq(values[g.answer], expected), `answer index points to a wrong value: ${where}`);
        const matching = values.filter((v) => eq(v, expected)).length;
        assert.equal(matching, 1, `the right answer also appears among the distractors: ${where}`);
        if (grade <= 5) assert.ok(values.every((v) => v.n >= 0n), `negative choice below grade 6: ${where}`);
        if (grade !== 5) assert.equal(expected.d, 1n, `non-integer answer: ${where}`);
        const { problems } = validateQuestion(g, 0);
        assert.deepEqual(problems, [], where);
        difficulties.add(g.difficulty);
      }
      assert.ok(difficulties.size >= 2, `grade ${grade} only produced difficulties ${[...difficulties]}`);
    });

    it(`grade ${grade}: deterministic for the same rng state`, () => {
      for (let seed = 0; seed < SEEDS; seed++) {
        const a = generateArithmetic(grade, createRng(`det-${grade}-${seed}`), seed);
        const b = generateArithmetic(grade, createRng(`det-${grade}-${seed}`), seed);
        assert.deepEqual(a, b);
      }
    });
  }

  it('consecutive questions from one rng differ and keep their sequence number in the id', () => {
    const rng = createRng('sequence');
    const qs = Array.from({ length: 50 }, (_, i) => generateArithmetic(3, rng, i));
    assert.ok(new Set(qs.map((g) => g.prompt)).size > 20);
    qs.forEach((g, i) => assert.ok(g.id.startsWith(`gen-math-g3-${i}-`)));
  });

  it('rejects a grade outside 1..8 and a bad sequence number', () => {
    const rng = createRng(1);
    for (const grade of [0, 9, 2.5, Number.NaN]) assert.throws(() => generateArithmetic(grade, rng, 0), RangeError);
    assert.throws(() => generateArithmetic(1, rng, -1), RangeError);
  });

  it('the checker itself catches a wrong answer index', () => {
    const g = generateArithmetic(4, createRng('self-check'), 0);
    const wrong = (g.answer + 1) % g.choices.length;
    assert.ok(!eq(literal(g.choices[wrong]), expectedAnswer(g.prompt)));
  });

  it('formats decimals exactly', () => {
    assert.equal(formatScaled(430, 100), '4.3');
    assert.equal(formatScaled(405, 100), '4.05');
    assert.equal(formatScaled(400, 100), '4');
    assert.equal(formatScaled(-5, 100), '\u22120.05');
    assert.equal(formatScaled(-12, 1), '\u221212');
  });
});
