import assert from 'node:assert/strict';
import { BOT, botAccuracy, botAnswer } from '../../src/domain/bot';
import { createRng } from '../../src/domain/random';

describe('practice bot', () => {
  it('is about as accurate as an even opponent at 1500 and tracks the rating', () => {
    assert.equal(botAccuracy(1500), BOT.baseAccuracy);
    assert.ok(botAccuracy(1100) < botAccuracy(1500) && botAccuracy(1500) < botAccuracy(1900));
    assert.ok(botAccuracy(-5000) >= BOT.minAccuracy && botAccuracy(9000) <= BOT.maxAccuracy);
  });

  it('answers with its accuracy, at a human pace, and always a valid choice', () => {
    const rng = createRng('bot-test');
    let right = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const correctChoice = i % 4;
      const a = botAnswer({ rating: 1500, choices: 4, correctChoice, questionMs: 10_000 }, rng);
      assert.ok(a.choice >= 0 && a.choice < 4);
      assert.ok(a.delayMs >= 1500 && a.delayMs <= 7500, `delay ${a.delayMs}`);
      if (a.choice === correctChoice) right++;
    }
    assert.ok(Math.abs(right / n - BOT.baseAccuracy) < 0.03, `accuracy ${right / n}`);
  });

  it('spreads wrong answers over the other choices and is deterministic', () => {
    const wrongs = new Set<number>();
    const rng = createRng(3);
    for (let i = 0; i < 500; i++) {
      const a = botAnswer({ rating: 400, choices: 4, correctChoice: 2, questionMs: 1000 }, rng);
      if (a.choice !== 2) wrongs.add(a.choice);
    }
    assert.deepEqual([...wrongs].sort(), [0, 1, 3]);
    const x = botAnswer({ rating: 1500, choices: 3, correctChoice: 0, questionMs: 1000 }, createRng('same'));
    const y = botAnswer({ rating: 1500, choices: 3, correctChoice: 0, questionMs: 1000 }, createRng('same'));
    assert.deepEqual(x, y);
  });
});
