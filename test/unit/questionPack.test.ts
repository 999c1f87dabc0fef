import assert from 'node:assert/strict';
import { parseQuestionPack, scanJson, validateQuestion, type PackProblem } from '../../src/domain/questionPack';

const good = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'sci-0001',
  subject: 'science',
  grade: 3,
  difficulty: 2,
  prompt: 'Which planet is known as the Red Planet?',
  choices: ['Mars', 'Venus', 'Jupiter', 'Mercury'],
  answer: 0,
  ...over,
});

/** Pretty-printed pack: each question object starts on a known line. */
function pack(items: unknown[]): string {
  return JSON.stringify(items, null, 2);
}

/** Line (1-based) of the first line of `text` containing `needle` at or after line `from`. */
function lineOf(text: string, needle: string, from = 1): number {
  const lines = text.split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i].includes(needle)) return i + 1;
  throw new Error(`${needle} not found`);
}

function problemsOf(text: string): PackProblem[] {
  const r = parseQuestionPack(text);
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems;
}

function only(problems: PackProblem[], path: string): PackProblem {
  const found = problems.filter((p) => p.path === path);
  assert.equal(found.length, 1, `expected one problem at ${path}, got ${JSON.stringify(problems, null, 1)}`);
  return found[0];
}

describe('parseQuestionPack', () => {
  it('parses a valid array pack', () => {
    const r = parseQuestionPack(pack([good(), good({ id: 'sci-0002', prompt: 'What gas do plants take in?', choices: ['Oxygen', 'Carbon dioxide'], answer: 1 })]));
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.questions.length, 2);
    assert.deepEqual(r.questions[0], good());
    assert.deepEqual(r.questions[1].choices, ['Oxygen', 'Carbon dioxide']);
  });

  it('parses a valid {"questions": [...]} pack, with a byte-order mark and CRLF line ends', () => {
    const text = '\ufeff' + JSON.stringify({ questions: [good()] }, null, 2).replace(/\n/g, '\r\n');
    const r = parseQuestionPack(text);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.questions[0].id, 'sci-0001');
  });

  it('reports invalid JSON once, with the line of the syntax error', () => {
    const text = '[\n  {\n    "id": "a",\n    "grade": 3,,\n  }\n]';
    const problems = problemsOf(text);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].line, 4);
    assert.equal(problems[0].path, '$');
    assert.match(problems[0].message, /invalid JSON at line 4, column 16/);
  });

  it('reports the line of other syntax errors: unterminated string, trailing garbage, raw newline in a string', () => {
    assert.equal(problemsOf('[\n{"id": "abc}\n]')[0].line, 2);
    assert.equal(problemsOf('[\n1,\n2\n]\n\nx')[0].line, 6);
    assert.equal(problemsOf('[\n"ab\ncd"\n]')[0].line, 2);
    assert.equal(problemsOf('[\r\n1,\r\n2,\r\n]')[0].line, 4);
    assert.equal(problemsOf('')[0].line, 1);
    assert.equal(problemsOf('\n\n\n{')[0].line, 4);
  });

  it('rejects a root that is neither an array nor a {"questions"} object, and an empty pack', () => {
    assert.match(only(problemsOf('{"items": []}'), '$').message, /expected an array of questions/);
    assert.match(only(problemsOf('42'), '$').message, /expected an array/);
    assert.match(only(problemsOf('[]'), '$').message, /no questions/);
    assert.match(only(problemsOf('{"questions": "x"}'), 'questions').message, /must be an array/);
    const extra = only(problemsOf('{\n"questions": [],\n"title": "x"\n}'), 'title');
    assert.equal(extra.line, 3);
  });

  it('reports a missing field at the line where its question starts', () => {
    const q = good();
    delete q.grade;
    const text = pack([good(), q]);
    const p = only(problemsOf(text), '[1].grade');
    assert.match(p.message, /missing field "grade"/);
    assert.equal(p.line, lineOf(text, '{', lineOf(text, '}') + 1)); // the second object's opening brace
  });

  it('reports an extra field at its own line', () => {
    const text = pack([good({ hint: 'red' })]);
    const p = only(problemsOf(text), '[0].hint');
    assert.match(p.message, /unknown field "hint"/);
    assert.equal(p.line, lineOf(text, '"hint"'));
  });

  it('reports wrong types', () => {
    const text = pack([good({ grade: '3', prompt: 7, choices: 'Mars', answer: '0', subject: 'history', id: 12 })]);
    const problems = problemsOf(text);
    assert.equal(only(problems, '[0].grade').line, lineOf(text, '"grade"'));
    assert.match(only(problems, '[0].grade').message, /must be an integer, got string "3"/);
    assert.match(only(problems, '[0].prompt').message, /must be a string/);
    assert.match(only(problems, '[0].choices').message, /must be an array/);
    assert.match(only(problems, '[0].answer').message, /must be the integer index/);
    assert.match(only(problems, '[0].subject').message, /must be one of math, science, language, geography/);
    assert.match(only(problems, '[0].id').message, /must be a string/);
    assert.equal(problems.length, 6);
  });

  it('reports grade and difficulty out of range, and non-integers', () => {
    for (const [field, value] of [['grade', 0], ['grade', 9], ['grade', 2.5], ['difficulty', 0], ['difficulty', 4]] as const) {
      const text = pack([good({ [field]: value })]);
      const p = only(problemsOf(text), `[0].${field}`);
      assert.match(p.message, /must be an integer from/);
      assert.equal(p.line, lineOf(text, `"${field}"`));
    }
  });

  it('reports the number of choices, empty and duplicate choices at their own lines', () => {
    let text = pack([good({ choices: ['Mars'], answer: 0 })]);
    assert.match(only(problemsOf(text), '[0].choices').message, /2 to 4 entries, got 1/);
    text = pack([good({ choices: ['a', 'b', 'c', 'd', 'e'] })]);
    assert.equal(only(problemsOf(text), '[0].choices').line, lineOf(text, '"choices"'));

    text = pack([good({ choices: ['Mars', '  ', 'Jupiter', ' Mars '] })]);
    const problems = problemsOf(text);
    const empty = only(problems, '[0].choices[1]');
    assert.match(empty.message, /must not be empty/);
    assert.equal(empty.line, lineOf(text, '"Mars"') + 1);
    const dup = only(problems, '[0].choices[3]');
    assert.match(dup.message, /duplicates choice 0/);
    assert.equal(dup.line, lineOf(text, '" Mars "'));
    assert.equal(problems.length, 2);

    // capitalisation questions need choices that differ only in case
    assert.ok(parseQuestionPack(pack([good({ choices: ['The dog ran.', 'the dog ran.'] })])).ok);

    text = pack([good({ choices: ['Mars', 3, 'Venus'] })]);
    assert.match(only(problemsOf(text), '[0].choices[1]').message, /must be a string, got number 3/);
  });

  it('reports an answer index out of range', () => {
    const text = pack([good({ choices: ['Mars', 'Venus'], answer: 2 })]);
    const p = only(problemsOf(text), '[0].answer');
    assert.match(p.message, /from 0 to 1 \(there are 2 choices\), got 2/);
    assert.equal(p.line, lineOf(text, '"answer"'));
    assert.match(only(problemsOf(pack([good({ answer: -1 })])), '[0].answer').message, /got -1/);
  });

  it('reports over-long prompts and choices', () => {
    const text = pack([good({ prompt: 'x'.repeat(201), choices: ['Mars', 'y'.repeat(81), 'Venus'] })]);
    const problems = problemsOf(text);
    assert.match(only(problems, '[0].prompt').message, /201 characters long, the limit is 200/);
    const c = only(problems, '[0].choices[1]');
    assert.match(c.message, /81 characters long, the limit is 80/);
    assert.equal(c.line, lineOf(text, 'yyyy'));
    // limits are inclusive and count characters, not UTF-16 units
    assert.ok(parseQuestionPack(pack([good({ prompt: '🌍'.repeat(200), choices: ['é'.repeat(80), 'b'] })])).ok);
  });

  it('reports control characters and broken surrogates in prompts and choices, where they are', () => {
    const text = pack([good({ prompt: 'Which planet\u0000 is red?', choices: ['Mars', 'Ven\u007fus', 'Earth\ud800'] })]);
    const problems = problemsOf(text);
    assert.match(only(problems, '[0].prompt').message, /control character U\+0000 at character 13/);
    const del = only(problems, '[0].choices[1]');
    assert.match(del.message, /control character U\+007F at character 4/);
    assert.equal(del.line, lineOf(text, 'Ven'));
    assert.match(only(problems, '[0].choices[2]').message, /lone UTF-16 surrogate/);
    // Tabs and newlines are text, as are characters beyond ASCII.
    assert.ok(parseQuestionPack(pack([good({ prompt: 'Line one\nline\ttwo: ¿qué? 🌍' })])).ok);
  });

  it('reports duplicate ids and duplicate prompts within the pack, at the later question', () => {
    const text = pack([
      good(),
      good({ id: 'sci-0002', prompt: 'Which planet is biggest?' }),
      good({ id: 'sci-0001', prompt: 'Which planet has rings?' }),
      good({ id: 'sci-0003', prompt: '  which planet is  BIGGEST? ' }),
    ]);
    const problems = problemsOf(text);
    const id = only(problems, '[2].id');
    assert.match(id.message, /duplicate id "sci-0001", already used by \[0\]/);
    assert.equal(id.line, lineOf(text, '"sci-0001"', lineOf(text, 'has rings') - 5));
    const prompt = only(problems, '[3].prompt');
    assert.match(prompt.message, /duplicate prompt, same as \[1\]/);
    assert.equal(prompt.line, lineOf(text, 'BIGGEST'));
    assert.equal(problems.length, 2);
  });

  it('reports a duplicate key inside one object', () => {
    const text = '[{"id": "a-1", "subject": "math", "grade": 1, "difficulty": 1,\n"prompt": "1 + 1?", "choices": ["2", "3"],\n"answer": 0, "answer": 1}]';
    const p = only(problemsOf(text), '[0].answer');
    assert.match(p.message, /duplicate key "answer"/);
    assert.equal(p.line, 3);
  });

  it('reports every problem of a pack, in line order, with the object-form paths', () => {
    const items = [
      good({ grade: 12 }),
      'not a question',
      good({ id: 'sci-0009', difficulty: 'hard', choices: ['A', 'A'], answer: 5, extra: true }),
      good({ id: 'sci-0001', prompt: '' }),
    ];
    const text = JSON.stringify({ questions: items }, null, 2);
    const problems = problemsOf(text);
    const paths = problems.map((p) => p.path);
    assert.deepEqual(paths.sort(), [
      'questions[0].grade',
      'questions[1]',
      'questions[2].answer',
      'questions[2].choices[1]',
      'questions[2].difficulty',
      'questions[2].extra',
      'questions[2].prompt', // same prompt as questions[0]
      'questions[3].id',
      'questions[3].prompt',
    ].sort());
    const lines = problemsOf(text).map((p) => p.line);
    assert.deepEqual(lines, [...lines].sort((a, b) => a - b), 'problems come in line order');
    assert.equal(only(problems, 'questions[1]').line, lineOf(text, 'not a question'));
    assert.equal(only(problems, 'questions[2].extra').line, lineOf(text, '"extra"'));
    assert.match(only(problems, 'questions[3].id').message, /already used by questions\[0\]/);
  });

  it('validateQuestion checks one parsed value without line information', () => {
    assert.deepEqual(validateQuestion(good(), 0), { question: good(), problems: [] });
    const r = validateQuestion(good({ answer: 9 }), 4);
    assert.equal(r.question, null);
    assert.deepEqual(r.problems.map((p) => p.path), ['[4].answer']);
    assert.deepEqual(validateQuestion(null, 1).problems.map((p) => p.path), ['[1]']);
  });
});

describe('scanJson', () => {
  it('agrees with JSON.parse on valid and invalid documents', () => {
    const samples = [
      '[]', '{}', '0', '-0.5e+3', '"a\\u00e9\\n\\"b"', 'true', 'null', ' [1, [2, {"a": [3]}], "x"] ',
      '{"__proto__": 1, "b": {"c": null}}', '[1e400]', '"\\ud83c\\udf0d"',
      '[1,]', '{"a":1,}', '01', '1.', '.5', '+1', '[1 2]', '{a: 1}', "'x'", '"\\x"', '"\\u12g4"', 'tru', 'nul', '[', '"', '{"a"}', '\t', '1 2', 'NaN',
    ];
    for (const s of samples) {
      let expected: unknown;
      let valid = true;
      try {
        expected = JSON.parse(s);
      } catch {
        valid = false;
      }
      const r = scanJson(s);
      assert.equal(r.ok, valid, s);
      if (r.ok) assert.deepEqual(r.value, expected, s);
    }
  });

  it('records the start line of array elements and object members', () => {
    const r = scanJson('[\n  {\n    "a": 1,\n    "b": [\n      "x",\n\n      "y"\n    ]\n  }\n]');
    assert.ok(r.ok);
    assert.equal(r.lines.get('[0]'), 2);
    assert.equal(r.lines.get('[0].a'), 3);
    assert.equal(r.lines.get('[0].b'), 4);
    assert.equal(r.lines.get('[0].b[0]'), 5);
    assert.equal(r.lines.get('[0].b[1]'), 7);
  });

  it('rejects absurd nesting instead of overflowing the stack', () => {
    const r = scanJson('['.repeat(100_000));
    assert.equal(r.ok, false);
  });
});
