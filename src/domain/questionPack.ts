/**
 * Question packs: the curated question bank and teacher-uploaded packs are JSON documents holding
 * multiple-choice questions. This module checks such a document and reports every problem it finds,
 * each with the 1-based line where the offending item or field starts, so an author can fix the
 * whole file in one pass. Pure: no I/O, no clock, no randomness.
 *
 * Accepted shapes: a top-level array of questions, or an object `{"questions": [...]}`.
 * Problem paths follow the document: `[12].choices[3]` for the array form and
 * `questions[12].choices[3]` for the object form; `$` is the document root.
 */

export const SUBJECTS = ['math', 'science', 'language', 'geography'] as const;
export type Subject = (typeof SUBJECTS)[number];

/** One multiple-choice question; `answer` is the index of the correct entry of `choices`. */
export interface QuestionInput {
  id: string;
  subject: Subject;
  grade: number;
  difficulty: number;
  prompt: string;
  choices: string[];
  answer: number;
}

/** A problem found in a pack: 1-based line where the item or field starts, its path, what is wrong. */
export interface PackProblem {
  line: number;
  path: string;
  message: string;
}

/** A problem found in an already-parsed value, before a line is attached. */
export interface QuestionProblem {
  path: string;
  message: string;
}

/** Limits every question must respect (lengths are counted in Unicode code points). */
export const QUESTION_LIMITS = {
  minGrade: 1,
  maxGrade: 8,
  minDifficulty: 1,
  maxDifficulty: 3,
  minChoices: 2,
  maxChoices: 4,
  maxPromptLength: 200,
  maxChoiceLength: 80,
  maxIdLength: 64,
} as const;

const QUESTION_FIELDS = ['id', 'subject', 'grade', 'difficulty', 'prompt', 'choices', 'answer'] as const;
const MAX_NESTING = 256;

// ---------------------------------------------------------------------------------------------
// JSON scanner: a strict JSON parser (same grammar as JSON.parse) that also records the line where
// every array element and object member starts.
// ---------------------------------------------------------------------------------------------

/** Result of scanning JSON text: the value plus the start line of every path, or the syntax error. */
export type JsonScanResult =
  | { ok: true; value: unknown; lines: Map<string, number>; duplicateKeys: PackProblem[] }
  | { ok: false; line: number; column: number; message: string };

class JsonSyntaxError extends Error {
  constructor(message: string, readonly line: number, readonly column: number) {
    super(message);
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Path of member `key` of the object at `parent`: `parent.key`, or `parent["odd key"]`. */
export function memberPath(parent: string, key: string): string {
  if (IDENTIFIER.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** Parses JSON text strictly, recording for each path (`[3].choices[1]`) the line where it starts. */
export function scanJson(text: string): JsonScanResult {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // tolerate a byte-order mark left by some editors
  let line = 1;
  let lineStart = 0;
  const n = text.length;
  const lines = new Map<string, number>();
  const duplicateKeys: PackProblem[] = [];

  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, line, at - lineStart + 1);
  };
  const describe = (at: number): string =>
    at >= n ? 'end of input' : `'${String.fromCodePoint(text.codePointAt(at) ?? 0)}'`;

  const skipWhitespace = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09) {
        i++;
      } else if (c === 0x0a) {
        i++;
        line++;
        lineStart = i;
      } else if (c === 0x0d) {
        i++;
        if (text.charCodeAt(i) === 0x0a) i++;
        line++;
        lineStart = i;
      } else {
        break;
      }
    }
  };

  const parseString = (): string => {
    i++; // opening quote
    let out = '';
    let chunkStart = i;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(chunkStart, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character inside a string (newlines must be written as \\n)');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(chunkStart, i);
      const e = text[i + 1];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape in string', i);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          fail('bad escape sequence in string', i);
      }
      i += 2;
      chunkStart = i;
    }
  };

  const parseValue = (path: string, depth: number): unknown => {
    skipWhitespace();
    if (i >= n) fail('unexpected end of input, expected a value');
    const c = text[i];
    if (c === '{') {
      if (depth >= MAX_NESTING) fail(`nesting deeper than ${MAX_NESTING} levels`);
      i++;
      const obj: Record<string, unknown> = {};
      const seen = new Set<string>();
      skipWhitespace();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        skipWhitespace();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe(i)}`);
        const keyLine = line;
        const key = parseString();
        const childPath = memberPath(path, key);
        if (seen.has(key)) {
          duplicateKeys.push({ line: keyLine, path: childPath, message: `duplicate key "${key}" (only the last one would count)` });
        }
        seen.add(key);
        skipWhitespace();
        if (text[i] !== ':') fail(`expected ':' after property name, found ${describe(i)}`);
        i++;
        lines.set(childPath, keyLine);
        // defineProperty, like JSON.parse, makes "__proto__" an ordinary own property
        Object.defineProperty(obj, key, { value: parseValue(childPath, depth + 1), enumerable: true, writable: true, configurable: true });
        skipWhitespace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail(`expected ',' or '}' after property value, found ${describe(i)}`);
      }
    }
    if (c === '[') {
      if (depth >= MAX_NESTING) fail(`nesting deeper than ${MAX_NESTING} levels`);
      i++;
      const arr: unknown[] = [];
      skipWhitespace();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        skipWhitespace();
        const childPath = `${path}[${arr.length}]`;
        lines.set(childPath, line);
        arr.push(parseValue(childPath, depth + 1));
        skipWhitespace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail(`expected ',' or ']' after array element, found ${describe(i)}`);
      }
    }
    if (c === '"') return parseString();
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) fail(`invalid number`);
      i += m![0].length;
      return Number(m![0]);
    }
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return fail(`unexpected ${describe(i)}, expected a value`);
  };

  try {
    skipWhitespace();
    lines.set('', line);
    const value = parseValue('', 0);
    skipWhitespace();
    if (i < n) fail(`unexpected ${describe(i)} after the end of the JSON value`);
    return { ok: true, value, lines, duplicateKeys };
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, line: err.line, column: err.column, message: err.message };
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Field checks
// ---------------------------------------------------------------------------------------------

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}…` : v)}`;
  if (typeof v === 'number') return `number ${v}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const codePoints = (s: string): number => [...s].length;

/** C0 controls but tab and newline, DEL, and C1 controls. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
/** Half of a surrogate pair without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text normalised for duplicate detection: trimmed, inner whitespace collapsed, case folded. */
export function normalizeText(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLowerCase();
}

function checkText(value: unknown, path: string, what: string, max: number, problems: QuestionProblem[]): value is string {
  if (typeof value !== 'string') {
    problems.push({ path, message: `${what} must be a string, got ${describeValue(value)}` });
    return false;
  }
  if (value.trim() === '') {
    problems.push({ path, message: `${what} must not be empty` });
    return false;
  }
  // What PostgreSQL cannot store (NUL) or no child should see (other control characters, a lone half of
  // a surrogate pair) is refused here, with its place, rather than failing the whole import in the database.
  const control = CONTROL_CHARACTER.exec(value);
  if (control) {
    const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    problems.push({ path, message: `${what} contains the control character U+${code} at character ${codePoints(value.slice(0, control.index)) + 1}` });
    return false;
  }
  if (LONE_SURROGATE.test(value)) {
    problems.push({ path, message: `${what} contains a lone UTF-16 surrogate (a broken \\u escape)` });
    return false;
  }
  const len = codePoints(value);
  if (len > max) {
    problems.push({ path, message: `${what} is ${len} characters long, the limit is ${max}` });
    return false;
  }
  return true;
}

function checkInteger(value: unknown, path: string, what: string, min: number, max: number, problems: QuestionProblem[]): value is number {
  if (typeof value !== 'number') {
    problems.push({ path, message: `${what} must be an integer, got ${describeValue(value)}` });
    return false;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push({ path, message: `${what} must be an integer from ${min} to ${max}, got ${value}` });
    return false;
  }
  return true;
}

/** Checks one question value (already parsed) found at `${basePath}[index]`; returns its problems. */
export function validateQuestion(q: unknown, index: number, basePath = ''): { question: QuestionInput | null; problems: QuestionProblem[] } {
  const at = `${basePath}[${index}]`;
  const problems: QuestionProblem[] = [];
  if (!isPlainObject(q)) {
    problems.push({ path: at, message: `question must be an object, got ${describeValue(q)}` });
    return { question: null, problems };
  }
  const L = QUESTION_LIMITS;
  for (const field of QUESTION_FIELDS) {
    if (!Object.hasOwn(q, field)) problems.push({ path: memberPath(at, field), message: `missing field "${field}"` });
  }
  for (const key of Object.keys(q)) {
    if (!(QUESTION_FIELDS as readonly string[]).includes(key)) {
      problems.push({ path: memberPath(at, key), message: `unknown field "${key}" (allowed: ${QUESTION_FIELDS.join(', ')})` });
    }
  }
  const has = (f: string): boolean => Object.hasOwn(q, f);

  let idOk = false;
  if (has('id')) {
    idOk = checkText(q.id, `${at}.id`, 'id', L.maxIdLength, problems);
    if (idOk && /\s/.test(q.id as string)) {
      problems.push({ path: `${at}.id`, message: 'id must not contain spaces' });
      idOk = false;
    }
  }
  let subjectOk = false;
  if (has('subject')) {
    if (typeof q.subject === 'string' && (SUBJECTS as readonly string[]).includes(q.subject)) subjectOk = true;
    else problems.push({ path: `${at}.subject`, message: `subject must be one of ${SUBJECTS.join(', ')}, got ${describeValue(q.subject)}` });
  }
  const gradeOk = has('grade') && checkInteger(q.grade, `${at}.grade`, 'grade', L.minGrade, L.maxGrade, problems);
  const difficultyOk =
    has('difficulty') && checkInteger(q.difficulty, `${at}.difficulty`, 'difficulty', L.minDifficulty, L.maxDifficulty, problems);
  const promptOk = has('prompt') && checkText(q.prompt, `${at}.prompt`, 'prompt', L.maxPromptLength, problems);

  let choicesOk = false;
  let choiceCount: number | null = null; // known number of choices, to range-check the answer
  if (has('choices')) {
    const choices = q.choices;
    if (!Array.isArray(choices)) {
      problems.push({ path: `${at}.choices`, message: `choices must be an array of strings, got ${describeValue(choices)}` });
    } else {
      choicesOk = true;
      if (choices.length < L.minChoices || choices.length > L.maxChoices) {
        problems.push({ path: `${at}.choices`, message: `choices must have ${L.minChoices} to ${L.maxChoices} entries, got ${choices.length}` });
        choicesOk = false;
      } else {
        choiceCount = choices.length;
      }
      const firstSeen = new Map<string, number>();
      choices.forEach((c, j) => {
        const path = `${at}.choices[${j}]`;
        if (!checkText(c, path, `choice ${j}`, L.maxChoiceLength, problems)) {
          choicesOk = false;
          return;
        }
        // case matters here: a capitalisation question may offer "The dog" and "the dog"
        const key = c.trim().replace(/\s+/g, ' ');
        const first = firstSeen.get(key);
        if (first !== undefined) {
          problems.push({ path, message: `choice ${j} duplicates choice ${first} (${JSON.stringify(c)})` });
          choicesOk = false;
        } else {
          firstSeen.set(key, j);
        }
      });
    }
  }
  let answerOk = false;
  if (has('answer')) {
    const max = (choiceCount ?? L.maxChoices) - 1;
    if (typeof q.answer !== 'number' || !Number.isInteger(q.answer)) {
      problems.push({ path: `${at}.answer`, message: `answer must be the integer index of the correct choice, got ${describeValue(q.answer)}` });
    } else if (q.answer < 0 || q.answer > max) {
      const range = choiceCount === null ? `0 to ${max}` : `0 to ${max} (there are ${choiceCount} choices)`;
      problems.push({ path: `${at}.answer`, message: `answer must be a choice index from ${range}, got ${q.answer}` });
    } else {
      answerOk = true;
    }
  }

  const allOk = problems.length === 0 && idOk && subjectOk && gradeOk && difficultyOk && promptOk && choicesOk && answerOk;
  const question: QuestionInput | null = allOk
    ? {
        id: q.id as string,
        subject: q.subject as Subject,
        grade: q.grade as number,
        difficulty: q.difficulty as number,
        prompt: q.prompt as string,
        choices: (q.choices as string[]).slice(),
        answer: q.answer as number,
      }
    : null;
  return { question, problems };
}

/** Checks a list of parsed questions, including duplicate ids and prompts across the list. */
export function validateQuestions(items: readonly unknown[], basePath = ''): { questions: QuestionInput[]; problems: QuestionProblem[] } {
  const problems: QuestionProblem[] = [];
  const questions: QuestionInput[] = [];
  const ids = new Map<string, number>();
  const prompts = new Map<string, number>();
  items.forEach((item, index) => {
    const r = validateQuestion(item, index, basePath);
    problems.push(...r.problems);
    if (r.question) questions.push(r.question);
    if (!isPlainObject(item)) return;
    const at = `${basePath}[${index}]`;
    if (typeof item.id === 'string' && item.id.trim() !== '') {
      const first = ids.get(item.id);
      if (first !== undefined) problems.push({ path: `${at}.id`, message: `duplicate id "${item.id}", already used by ${basePath}[${first}]` });
      else ids.set(item.id, index);
    }
    if (typeof item.prompt === 'string' && item.prompt.trim() !== '') {
      const key = normalizeText(item.prompt);
      const first = prompts.get(key);
      if (first !== undefined) problems.push({ path: `${at}.prompt`, message: `duplicate prompt, same as ${basePath}[${first}]` });
      else prompts.set(key, index);
    }
  });
  if (items.length === 0) problems.push({ path: basePath === '' ? '$' : basePath, message: 'the pack contains no questions' });
  return { questions, problems };
}

/** Line of `path` in the scanned text, falling back to its closest recorded ancestor (e.g. for a missing field). */
function lineOf(lines: Map<string, number>, path: string): number {
  let p = path === '$' ? '' : path;
  for (;;) {
    const line = lines.get(p);
    if (line !== undefined) return line;
    if (p === '') return 1;
    const parent = p.replace(/(?:\.[A-Za-z_$][A-Za-z0-9_$]*|\[[0-9]+\]|\["(?:[^"\\]|\\.)*"\])$/, '');
    p = parent === p ? '' : parent;
  }
}

/** Parses and validates a question pack given as JSON text, reporting every problem with its line. */
export function parseQuestionPack(text: string): { ok: true; questions: QuestionInput[] } | { ok: false; problems: PackProblem[] } {
  const scan = scanJson(text);
  if (!scan.ok) {
    return { ok: false, problems: [{ line: scan.line, path: '$', message: `invalid JSON at line ${scan.line}, column ${scan.column}: ${scan.message}` }] };
  }
  const problems: QuestionProblem[] = [];
  let items: unknown[] | null = null;
  let basePath = '';
  const root = scan.value;
  if (Array.isArray(root)) {
    items = root;
  } else if (isPlainObject(root) && Object.hasOwn(root, 'questions')) {
    basePath = 'questions';
    for (const key of Object.keys(root)) {
      if (key !== 'questions') problems.push({ path: memberPath('', key), message: `unknown field "${key}" (a pack object only holds "questions")` });
    }
    if (Array.isArray(root.questions)) items = root.questions;
    else problems.push({ path: 'questions', message: `"questions" must be an array, got ${describeValue(root.questions)}` });
  } else {
    problems.push({ path: '$', message: `expected an array of questions or an object {"questions": [...]}, got ${describeValue(root)}` });
  }
  let questions: QuestionInput[] = [];
  if (items) {
    const r = validateQuestions(items, basePath);
    problems.push(...r.problems);
    questions = r.questions;
  }
  const all: PackProblem[] = [
    ...scan.duplicateKeys,
    ...problems.map((p) => ({ line: lineOf(scan.lines, p.path), path: p.path, message: p.message })),
  ];
  if (all.length > 0) {
    all.sort((a, b) => a.line - b.line); // stable: problems on one line keep their discovery order
    return { ok: false, problems: all };
  }
  return { ok: true, questions };
}
