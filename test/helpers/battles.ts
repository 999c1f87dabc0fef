import { randomUUID } from 'node:crypto';
import type { AnswerLogEntry, BattleRecord, ParticipantResult, PlayedQuestion } from '../../src/domain/battleRecord';
import { assignPlacements } from '../../src/domain/scoring';

/** A player of a made-up battle: who, their final score and how many rounds they got right. */
export interface PlayerSpec {
  userId: string;
  username: string;
  score: number;
  correct: number;
  forfeited?: boolean;
  isBot?: boolean;
  /** Overrides the placement derived from scores (competition ranking). */
  placement?: number;
}

/**
 * A finished battle record as the battle engine would hand it to BattleService.finish: placements by
 * score, questions with their correct choice, one answer per player per round (the first `correct`
 * rounds right, the rest wrong).
 */
export function battleRecord(players: PlayerSpec[], overrides: Partial<BattleRecord> = {}): BattleRecord {
  const rounds = overrides.rounds ?? 3;
  const endedAt = overrides.endedAt ?? new Date();
  const questions: PlayedQuestion[] = Array.from({ length: rounds }, (_, i) => ({
    round: i + 1, questionId: `math-${String(i + 1).padStart(4, '0')}`, prompt: `What is ${i} + 1?`, choices: [String(i), String(i + 1), String(i + 2)], correctChoice: 1,
  }));
  const answers: AnswerLogEntry[] = [];
  for (const p of players) {
    for (let round = 1; round <= rounds; round++) {
      const correct = round <= p.correct;
      answers.push({ round, userId: p.userId, choice: correct ? 1 : 0, elapsedMs: 1000 + round * 10, correct, points: correct ? 1000 : 0 });
    }
  }
  const participants: ParticipantResult[] = assignPlacements(players.map((p) => ({ ...p, wanted: p.placement }))).map((p) => ({
    userId: p.userId, username: p.username, score: p.score, placement: p.wanted ?? p.placement, correctAnswers: p.correct,
    forfeited: p.forfeited ?? false, isBot: p.isBot ?? false,
  }));
  return {
    battleId: randomUUID(),
    mode: 'quick',
    subject: 'math',
    rated: true,
    seed: `seed-${randomUUID()}`,
    rounds,
    questionMs: 15_000,
    startedAt: new Date(endedAt.getTime() - 60_000),
    endedAt,
    questions,
    answers,
    participants,
    ...overrides,
  };
}
