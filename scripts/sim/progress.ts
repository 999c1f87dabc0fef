import type { Recorder } from './recorder';

/**
 * The progress display: on a terminal one line rewritten in place; otherwise (CI, a pipe) a line every
 * 5 s, so logs stay readable. Written to stderr, so stdout keeps only the summary.
 */
export function startProgress(rec: Recorder, durationS: number): { stop(): void } {
  const tty = process.stderr.isTTY === true;
  const line = () => {
    const c = rec.counters;
    const s = rec.now() / 1000;
    return `[${s.toFixed(0).padStart(4)} s / ${durationS} s] journeys ${c.journeysStarted} (running ${c.journeysRunning}) | battles finished ${rec.battlesFinished()}`
      + ` | drops ${c.reconnectsOk}/${c.drops} | malformed ${c.malformedAnswered}/${c.malformedSent} | errors ${rec.errorCount()}`;
  };
  let width = 0;
  const timer = setInterval(() => {
    const text = line();
    if (tty) {
      process.stderr.write(`\r${text.padEnd(width)}`);
      width = text.length;
    } else {
      process.stderr.write(`${text}\n`);
    }
  }, tty ? 250 : 5000);
  return {
    stop() {
      clearInterval(timer);
      if (tty) process.stderr.write(`\r${line().padEnd(width)}\n`);
    },
  };
}
