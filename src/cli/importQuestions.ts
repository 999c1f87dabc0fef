import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';
import { parseQuestionPack } from '../domain/questionPack';
import { createLogger } from '../logger';
import { openDatabase } from '../persistence/database';
import { QuestionService } from '../services/QuestionService';

/**
 * `npm run questions:import -- FILE.json`: checks a question pack and imports it whole (source 'pack',
 * one transaction) into the configured database (DATABASE_URL, or the embedded one in DATA_DIR — never
 * while a server runs on that DATA_DIR, whose lock this takes). Every problem is printed as
 * `FILE:LINE: PATH: MESSAGE`, like a compiler, so an author fixes the whole file in one pass.
 * Exit codes: 0 imported, 1 problems or failure (nothing imported), 2 usage.
 */
async function main(args: string[]): Promise<number> {
  if (args.length !== 1 || args[0].startsWith('-')) {
    process.stderr.write('usage: npm run questions:import -- FILE.json\n');
    return 2;
  }
  const file = args[0];
  // npm runs scripts from the package root; INIT_CWD is where the user typed the command.
  const fullPath = path.resolve(process.env.INIT_CWD ?? process.cwd(), file);
  let text: string;
  try {
    text = fs.readFileSync(fullPath, 'utf8');
  } catch (e) {
    process.stderr.write(`${file}: cannot read: ${(e as Error).message}\nnothing imported\n`);
    return 1;
  }
  const parsed = parseQuestionPack(text);
  if (!parsed.ok) {
    for (const p of parsed.problems) process.stderr.write(`${file}:${p.line}: ${p.path}: ${p.message}\n`);
    process.stderr.write(`${parsed.problems.length} problems; nothing imported\n`);
    return 1;
  }
  const config = loadConfig();
  // Quiet unless asked: the output of a CLI is its result lines, not the server's info logs.
  const logger = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn');
  const db = await openDatabase(config, logger);
  try {
    const n = await new QuestionService(db.dataSource).importPack(parsed.questions);
    process.stdout.write(`imported ${n} questions\n`);
    return 0;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`questions:import: ${err?.message ?? err}\nnothing imported\n`);
    process.exitCode = 1;
  },
);
