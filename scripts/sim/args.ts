import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Everything `npm run simulate` can be told; see USAGE for the meaning of each. */
export interface SimOptions {
  bots: number;
  durationS: number;
  seed: string;
  out: string;
  url: string | undefined;
  databaseUrl: string | undefined;
  accuracy: number;
  answerDelayMs: [number, number];
  dropRate: number;
  malformedRate: number;
  practiceRate: number;
  subjects: string[];
  sizes: Array<2 | 3 | 4>;
  queueTimeoutS: number;
  help: boolean;
}

/** The --help text, also printed after a bad option. */
export const USAGE = `npm run simulate -- [options]

Bots play complete journeys (register, log in, personal room, matchmaking, battle) through the real SDK
against a server this script starts (or --url), then the run is checked against the game's invariants.

  --bots N               concurrent bot players (40)
  --duration-s S         seconds during which new journeys start; running battles then finish (60)
  --seed STR             seed of every random choice the bots make (random; printed in the report)
  --out DIR              where report.json and report.html go (bench/results/simulation)
  --url URL              use this running server (http://host:port) instead of starting one
  --database-url URL     postgres://… : the server's database (own server: passed to it) for direct checks
  --accuracy P           probability that a bot answers a question in time; otherwise it stays silent (0.7)
  --answer-delay-ms A-B  how long a bot thinks before answering, uniform in [A, B] ms (300-2000)
  --drop-rate P          per battle: the bot closes its socket mid-round (4100) and reconnects (0.1)
  --malformed-rate P     per question (and per queue join): the bot also sends one malformed message (0.05)
  --practice-rate P      probability that a bot accepts a practice offer when it comes (0.5)
  --subjects LIST        subjects bots queue for, picked uniformly (math,science,language,geography,mixed)
  --sizes LIST           battle sizes bots queue for, picked uniformly; repeat one to weight it (2,2,3,4)
  --queue-timeout-s S    a bot leaves the queue unmatched after this long (20)
  --help                 this text

Without --url the server runs as a child process (arena.config.ts) on a free port and a temp DATA_DIR with short
battle timings; its log is checked too. Its embedded database is locked while it runs, so the checks go through
the HTTP API as the bots themselves; with --database-url the stored answer log and reward ledger are read as well.

Invariants (checked at the end): 1 every finished battle is stored as announced; 2 no reward applied twice;
3 scores replay from the round results (and the stored answer log); 4 no answer key before its round_result;
5 no server error (INTERNAL/RESULT_NOT_SAVED, HTTP 5xx, log level >= 50); 6 malformed messages answered,
drops reconnected, seat reservations honoured.

Writes DIR/report.json, DIR/report.html (self-contained charts) and DIR/messages.json (every message each bot
received). Exit code: 0 all invariants held, 1 one broke, 2 bad options, no server or the hard timeout
(duration + 120 s), 130 interrupted.
`;

/** Thrown for a bad command line; the message says which option and why. */
export class UsageError extends Error {}

function num(name: string, raw: string, min: number, max: number, integer = false): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${raw}"`);
  }
  return v;
}

/** Parses argv (without node and the script); no package, because the options are few and flat. */
export function parseArgs(argv: readonly string[], cwd = process.cwd()): SimOptions {
  const o: SimOptions = {
    bots: 40, durationS: 60, seed: randomBytes(6).toString('hex'), out: path.resolve(cwd, 'bench/results/simulation'),
    url: undefined, databaseUrl: undefined, accuracy: 0.7, answerDelayMs: [300, 2000], dropRate: 0.1, malformedRate: 0.05,
    practiceRate: 0.5, subjects: ['math', 'science', 'language', 'geography', 'mixed'], sizes: [2, 2, 3, 4], queueTimeoutS: 20, help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (name === 'help') { o.help = true; continue; }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    switch (name) {
      case 'bots': o.bots = num(name, value, 1, 2000, true); break;
      case 'duration-s': o.durationS = num(name, value, 1, 24 * 3600); break;
      case 'seed': o.seed = value; break;
      case 'out': o.out = path.resolve(cwd, value); break;
      case 'url':
        if (!/^https?:\/\/[^/]+\/?$/.test(value)) throw new UsageError(`--url must look like http://host:port, got "${value}"`);
        o.url = value.replace(/\/$/, '');
        break;
      case 'database-url':
        if (!/^postgres(ql)?:\/\/.+/.test(value)) throw new UsageError(`--database-url must be a postgres:// URL`);
        o.databaseUrl = value;
        break;
      case 'accuracy': o.accuracy = num(name, value, 0, 1); break;
      case 'answer-delay-ms': {
        const m = /^(\d+)(?:-(\d+))?$/.exec(value);
        if (!m) throw new UsageError(`--answer-delay-ms must be A-B in ms (e.g. 300-2000), got "${value}"`);
        const a = Number(m[1]);
        const b = m[2] === undefined ? a : Number(m[2]);
        if (b < a) throw new UsageError(`--answer-delay-ms: ${b} is less than ${a}`);
        o.answerDelayMs = [a, b];
        break;
      }
      case 'drop-rate': o.dropRate = num(name, value, 0, 1); break;
      case 'malformed-rate': o.malformedRate = num(name, value, 0, 1); break;
      case 'practice-rate': o.practiceRate = num(name, value, 0, 1); break;
      case 'subjects': {
        const list = value.split(',').map((s) => s.trim()).filter(Boolean);
        const known = ['math', 'science', 'language', 'geography', 'mixed'];
        const bad = list.filter((s) => !known.includes(s));
        if (list.length === 0 || bad.length > 0) throw new UsageError(`--subjects takes a list of ${known.join(', ')}; got "${value}"`);
        o.subjects = list;
        break;
      }
      case 'sizes': {
        const list = value.split(',').map((s) => Number(s.trim()));
        if (list.length === 0 || list.some((n) => n !== 2 && n !== 3 && n !== 4)) throw new UsageError(`--sizes takes a list of 2, 3, 4; got "${value}"`);
        o.sizes = list as Array<2 | 3 | 4>;
        break;
      }
      case 'queue-timeout-s': o.queueTimeoutS = num(name, value, 1, 3600); break;
      default: throw new UsageError(`unknown option --${name}`);
    }
  }
  return o;
}
