/**
 * Reads a flood phase's dump (`BENCH_FLOOD_DUMP=file npm run bench`) and prints where the others' slow
 * round trips (over the alone p99) fall: per condition in bins of each window, and around each join of
 * the flooder and of the control by when the others' messages were sent, next to a quiet instant of each
 * alone window (bench/lib/floodDump.ts).
 *
 *   npm run bench:flood-dump -- /tmp/flood.json [--bin 250] [--fine-bin 1] [--from=-5] [--to=25]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { aloneP99, aroundEvents, asFloodDump, joinEvents, windowBins } from './lib/floodDump';

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { bin: { type: 'string', default: '250' }, 'fine-bin': { type: 'string', default: '1' }, from: { type: 'string', default: '-5' }, to: { type: 'string', default: '25' } },
  });
  const num = (name: string, v: string, positive: boolean) => {
    const n = Number(v);
    if (!Number.isFinite(n) || (positive && n <= 0)) throw new Error(`--${name} ${JSON.stringify(v)}: expected a ${positive ? 'positive ' : ''}number of ms`);
    return n;
  };
  if (positionals.length !== 1) throw new Error('usage: npm run bench:flood-dump -- <dump.json> [--bin 250] [--fine-bin 1] [--from=-5] [--to=25]');
  const bin = num('bin', values.bin, true);
  const fine = num('fine-bin', values['fine-bin'], true);
  const from = num('from', values.from, false);
  const to = num('to', values.to, false);
  if (to <= from) throw new Error(`--to ${to} must be after --from ${from}`);
  const d = asFloodDump(JSON.parse(fs.readFileSync(positionals[0], 'utf8')));
  const p99 = aloneP99(d);
  console.log(`${d.at.length} round trips; alone p99 ${p99.toFixed(2)} ms ("slow" below: over it)`);
  console.log(`\nslow round trips per condition, by when they ended, in ${bin} ms bins of each window:`);
  for (const w of windowBins(d, bin, p99)) console.log(`  ${w.condition.padEnd(8)} p99 ${w.p99.toFixed(2)} ms, ${w.slow} slow | ${w.bins.join(' ')}`);
  const ev = joinEvents(d);
  console.log(`\naround each event, by when the others' messages were sent, ${fine} ms bins from ${from} to ${to} ms: slow count | mean round trip (ms)`);
  for (const [label, events] of [['flooder joins', ev.flooderJoins], ['control joins', ev.controlJoins], ['refused rejoins', ev.refused], ['quiet (alone +300 ms)', ev.quiet]] as const) {
    const a = aroundEvents(d, events, from, to, fine, p99);
    console.log(`  ${label.padEnd(22)} ${String(a.events).padStart(4)} events, ${a.slowPerEvent.toFixed(2)} slow each | ${a.slow.join(' ')}`);
    console.log(`  ${''.padEnd(22)} ${''.padStart(4)}         mean | ${a.meanMs.map((m) => (Number.isFinite(m) ? m.toFixed(1) : '-')).join(' ')}`);
  }
}

try {
  main();
} catch (e) {
  console.error(`bench:flood-dump: ${(e as Error).message}`);
  process.exit(2);
}
