/**
 * What a finished battle hands to persistence: everything needed to store it, reward and rate its
 * players exactly once, and replay it. Produced by the battle engine, consumed by BattleService.finish.
 */
export type BattleMode = 'quick' | 'private' | 'practice';

/** A question as it was played: choices in the shuffled order players saw. */
export interface PlayedQuestion {
  round: number;
  questionId: string;
  prompt: string;
  choices: string[];
  correctChoice: number;
}

/** One accepted answer, with its timing: a replay recomputes points from these. */
export interface AnswerLogEntry {
  round: number;
  userId: string;
  choice: number;
  elapsedMs: number;
  correct: boolean;
  points: number;
}

export interface ParticipantResult {
  userId: string;
  username: string;
  score: number;
  placement: number;
  correctAnswers: number;
  /** Dropped and did not come back in time: keeps the score, gets no placement coins. */
  forfeited: boolean;
  /** A server-side practice bot: never stored as a user, never rated or rewarded. */
  isBot: boolean;
}

export interface BattleRecord {
  battleId: string;
  mode: BattleMode;
  subject: string;
  /** False for practice battles: no rating change, reduced rewards. */
  rated: boolean;
  /** Seed of the battle's random source: question choice and choice shuffling derive from it. */
  seed: string;
  rounds: number;
  questionMs: number;
  startedAt: Date;
  endedAt: Date;
  questions: PlayedQuestion[];
  answers: AnswerLogEntry[];
  participants: ParticipantResult[];
}

/** The contract's `battle_result` standing. */
export interface Standing {
  userId: string;
  username: string;
  score: number;
  placement: number;
  ratingBefore: number;
  ratingAfter: number;
  xp: number;
  coins: number;
}

/** The contract's `battle_result` message. */
export interface BattleResult {
  battleId: string;
  winnerUserId: string;
  standings: Standing[];
}
