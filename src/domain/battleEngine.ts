import { RuleError } from '../errors';
import type { AnswerLogEntry, BattleMode, BattleRecord, ParticipantResult, PlayedQuestion } from './battleRecord';
import { assignPlacements, scoreAnswer } from './scoring';

/**
 * The rules of one quiz battle as a pure state machine: who may join, when it starts, what an answer is
 * worth, when a round closes, who won. It reads no clock and does no I/O: the room passes `now` in and
 * runs the timers, so every transition can be tested and a battle replayed from its log.
 */
export type Phase = 'waiting' | 'countdown' | 'question' | 'reveal' | 'finished';

export interface BattleSettings {
  battleId: string;
  seed: string;
  mode: BattleMode;
  subject: string;
  rated: boolean;
  rounds: number;
  questionMs: number;
  minPlayers: number;
  maxPlayers: number;
}

/** Why an answer was not taken: the code and text of the `"error"` its sender gets. */
export interface AnswerRefusal {
  code: 'NOT_A_PLAYER' | 'NOT_ACCEPTING_ANSWERS' | 'LATE_ANSWER' | 'WRONG_ROUND' | 'ALREADY_ANSWERED' | 'INVALID_CHOICE';
  message: string;
}

/** The refusal of anything from a user who is not in the battle. */
const STRANGER: Readonly<AnswerRefusal> = Object.freeze({ code: 'NOT_A_PLAYER', message: 'You are not a player of this battle.' });

export interface EnginePlayer {
  userId: string;
  username: string;
  isBot: boolean;
  ready: boolean;
  connected: boolean;
  score: number;
  streak: number;
  correctAnswers: number;
  /** Answered in the current round. */
  answered: boolean;
  /** Left during play and did not come back: keeps the score, plays no more rounds. */
  forfeited: boolean;
}

/** The `"question"` message: everything but the answer. */
export interface QuestionView {
  round: number;
  questionId: string;
  prompt: string;
  choices: string[];
  deadline: number;
  durationMs: number;
}

/** The `"round_result"` message. */
export interface RoundResult {
  round: number;
  correctChoice: number;
  results: Array<{ userId: string; correct: boolean; points: number; score: number }>;
}

interface PendingAnswer {
  choice: number;
  elapsedMs: number;
}

export class BattleEngine {
  readonly players = new Map<string, EnginePlayer>();
  phase: Phase = 'waiting';
  round = 0;
  private questions: PlayedQuestion[] = [];
  private roundStartedAt = 0;
  private deadline = 0;
  private pending = new Map<string, PendingAnswer>();
  private readonly log: AnswerLogEntry[] = [];
  private startedAt: Date | undefined;

  constructor(readonly settings: BattleSettings) {}

  /** Seats a player; only while waiting, up to maxPlayers, once per user. */
  addPlayer(userId: string, username: string, isBot = false): EnginePlayer {
    if (this.phase !== 'waiting') throw new RuleError('ALREADY_STARTED', 'This battle has already started.');
    if (this.players.has(userId)) throw new RuleError('ALREADY_IN_BATTLE', 'You are already in this battle.');
    if (this.players.size >= this.settings.maxPlayers) throw new RuleError('BATTLE_FULL', 'This battle is full.');
    const player: EnginePlayer = {
      userId, username, isBot, ready: isBot, connected: true, score: 0, streak: 0, correctAnswers: 0, answered: false, forfeited: false,
    };
    this.players.set(userId, player);
    return player;
  }

  private player(userId: string): EnginePlayer {
    const p = this.players.get(userId);
    if (!p) throw new RuleError(STRANGER.code, STRANGER.message);
    return p;
  }

  /** Marks a player ready or not; only before the battle starts. */
  setReady(userId: string, ready: boolean): void {
    const p = this.player(userId);
    if (this.phase !== 'waiting') throw new RuleError('NOT_WAITING', 'The battle has already started.');
    p.ready = ready;
  }

  /** Records a connection change (a drop keeps the seat; see leave for giving it up). */
  setConnected(userId: string, connected: boolean): void {
    this.player(userId).connected = connected;
  }

  /**
   * A player gives up their seat (left, or did not come back in time). Before the start they are simply
   * removed; during play they forfeit the remaining rounds but keep what they scored.
   */
  leave(userId: string): void {
    const p = this.players.get(userId);
    if (!p) return;
    if (this.phase === 'waiting') {
      this.players.delete(userId);
      return;
    }
    p.connected = false;
    if (this.phase !== 'finished') p.forfeited = true;
  }

  /** Players still playing (not forfeited). */
  activePlayers(): EnginePlayer[] {
    return [...this.players.values()].filter((p) => !p.forfeited);
  }

  /** True when enough players are seated and every one of them is ready. */
  canStart(): boolean {
    const seated = [...this.players.values()];
    return this.phase === 'waiting' && seated.length >= this.settings.minPlayers && seated.every((p) => p.ready);
  }

  /** Starts the countdown with the battle's questions (chosen by the caller from the seeded source). */
  start(questions: PlayedQuestion[], now: number): void {
    if (!this.canStart()) throw new RuleError('CANNOT_START', 'Not every player is ready.');
    if (questions.length < this.settings.rounds) throw new Error(`need ${this.settings.rounds} questions, got ${questions.length}`);
    this.questions = questions.slice(0, this.settings.rounds);
    this.phase = 'countdown';
    this.startedAt = new Date(now);
  }

  /** Opens the next round; returns the question as players see it, with the server's deadline. */
  beginRound(now: number): QuestionView {
    if (this.phase !== 'countdown' && this.phase !== 'reveal') throw new Error(`cannot begin a round in phase ${this.phase}`);
    this.round += 1;
    const q = this.questions[this.round - 1];
    this.phase = 'question';
    this.roundStartedAt = now;
    this.deadline = now + this.settings.questionMs;
    this.pending.clear();
    for (const p of this.players.values()) p.answered = false;
    return { round: this.round, questionId: q.questionId, prompt: q.prompt, choices: q.choices.slice(), deadline: this.deadline, durationMs: this.settings.questionMs };
  }

  /**
   * Accepts a player's answer for the current round. The answer is only recorded here: scores move at
   * the round's close, so nothing a client sees before `round_result` hints at the right choice.
   * Throws the refusal (a RuleError) where `tryAnswer` returns it.
   */
  answer(userId: string, round: number, choice: number, now: number): void {
    const refusal = this.tryAnswer(userId, round, choice, now);
    if (refusal) throw new RuleError(refusal.code, refusal.message);
  }

  /**
   * `answer` for the room's message path: the refusal is returned, not thrown. Refused answers are common
   * traffic (a client re-sending, a late tap): with every player re-sending (bench/load's top step), the
   * thrown refusals were about a tenth of the server's CPU profile, and returning them made each message
   * about 6% cheaper (2026-12-03).
   */
  tryAnswer(userId: string, round: number, choice: number, now: number): AnswerRefusal | undefined {
    const p = this.players.get(userId);
    if (!p) return STRANGER;
    if (p.forfeited) return { code: 'NOT_A_PLAYER', message: 'You have left this battle.' };
    if (this.phase !== 'question') return { code: 'NOT_ACCEPTING_ANSWERS', message: 'No question is open right now.' };
    if (round !== this.round) {
      if (round < this.round) return { code: 'LATE_ANSWER', message: `Round ${round} is over.` };
      return { code: 'WRONG_ROUND', message: `The current round is ${this.round}.` };
    }
    if (now > this.deadline) return { code: 'LATE_ANSWER', message: 'The time for this question is up.' };
    if (p.answered) return { code: 'ALREADY_ANSWERED', message: 'You have already answered this question.' };
    const q = this.questions[this.round - 1];
    if (!Number.isInteger(choice) || choice < 0 || choice >= q.choices.length) return { code: 'INVALID_CHOICE', message: `Choose 0 to ${q.choices.length - 1}.` };
    p.answered = true;
    this.pending.set(userId, { choice, elapsedMs: Math.max(0, now - this.roundStartedAt) });
    return undefined;
  }

  /** True when every player still in the battle and connected has answered (the round can close early). */
  allAnswered(): boolean {
    const waitingOn = this.activePlayers().filter((p) => p.connected && !p.answered);
    return this.phase === 'question' && waitingOn.length === 0;
  }

  /** Closes the round: scores it, logs the answers, and reveals the correct choice. */
  closeRound(): RoundResult {
    if (this.phase !== 'question') throw new Error(`cannot close a round in phase ${this.phase}`);
    const q = this.questions[this.round - 1];
    const results: RoundResult['results'] = [];
    for (const p of this.players.values()) {
      if (p.forfeited && !this.pending.has(p.userId)) continue;
      const a = this.pending.get(p.userId);
      const correct = a !== undefined && a.choice === q.correctChoice;
      const s = scoreAnswer({ correct, elapsedMs: a?.elapsedMs ?? this.settings.questionMs, durationMs: this.settings.questionMs, streakBefore: p.streak });
      p.score += s.points;
      p.streak = s.streak;
      if (correct) p.correctAnswers += 1;
      if (a) this.log.push({ round: this.round, userId: p.userId, choice: a.choice, elapsedMs: a.elapsedMs, correct, points: s.points });
      results.push({ userId: p.userId, correct, points: s.points, score: p.score });
    }
    this.phase = 'reveal';
    return { round: this.round, correctChoice: q.correctChoice, results };
  }

  /** The correct choice of a round, for the server's own bots only: never sent before round_result. */
  answerKey(round: number): number {
    return this.questions[round - 1].correctChoice;
  }

  /** True when another round follows the current one. */
  hasMoreRounds(): boolean {
    return this.round < this.questions.length;
  }

  /** True when play must stop because at most one player is left in it. */
  shouldEndEarly(): boolean {
    return (this.phase === 'countdown' || this.phase === 'question' || this.phase === 'reveal') && this.activePlayers().length <= 1;
  }

  /**
   * Ends the battle and produces its record. Players still in the game rank above those who forfeited
   * (so the last one standing wins, as the contract says), each group by score; equal scores share a
   * placement.
   */
  finish(now: number): BattleRecord {
    if (this.phase === 'question') this.closeRound();
    this.phase = 'finished';
    const all = [...this.players.values()];
    const stayed = assignPlacements(all.filter((p) => !p.forfeited));
    const left = assignPlacements(all.filter((p) => p.forfeited)).map((p) => ({ ...p, placement: p.placement + stayed.length }));
    const participants: ParticipantResult[] = [...stayed, ...left].map((p) => ({
      userId: p.userId, username: p.username, score: p.score, placement: p.placement, correctAnswers: p.correctAnswers, forfeited: p.forfeited, isBot: p.isBot,
    }));
    return {
      battleId: this.settings.battleId,
      mode: this.settings.mode,
      subject: this.settings.subject,
      rated: this.settings.rated,
      seed: this.settings.seed,
      rounds: this.round,
      questionMs: this.settings.questionMs,
      startedAt: this.startedAt ?? new Date(now),
      endedAt: new Date(now),
      questions: this.questions.slice(0, this.round),
      answers: this.log.slice(),
      participants,
    };
  }
}

/**
 * Recomputes every player's score from a stored battle's answer log: the replay check. Equal to the
 * stored scores exactly when the log, the questions and the scoring rules agree.
 */
export function replayScores(input: { questions: PlayedQuestion[]; answers: AnswerLogEntry[]; questionMs: number; userIds: string[] }): Map<string, number> {
  const scores = new Map(input.userIds.map((id) => [id, 0]));
  const streaks = new Map(input.userIds.map((id) => [id, 0]));
  for (const q of input.questions) {
    for (const userId of input.userIds) {
      const a = input.answers.find((x) => x.round === q.round && x.userId === userId);
      const correct = a !== undefined && a.choice === q.correctChoice;
      const s = scoreAnswer({ correct, elapsedMs: a?.elapsedMs ?? input.questionMs, durationMs: input.questionMs, streakBefore: streaks.get(userId)! });
      scores.set(userId, scores.get(userId)! + s.points);
      streaks.set(userId, s.streak);
    }
  }
  return scores;
}
