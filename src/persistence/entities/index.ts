import { Battle } from './Battle.entity';
import { BattleAnswer } from './BattleAnswer.entity';
import { BattleParticipant } from './BattleParticipant.entity';
import { LeaderboardBucket } from './LeaderboardBucket.entity';
import { LeaderboardEntry } from './LeaderboardEntry.entity';
import { LinkCode } from './LinkCode.entity';
import { Notification } from './Notification.entity';
import { ParentChild } from './ParentChild.entity';
import { Question } from './Question.entity';
import { RatingHistory } from './RatingHistory.entity';
import { RewardLedgerEntry } from './RewardLedgerEntry.entity';
import { SubjectRating } from './SubjectRating.entity';
import { User } from './User.entity';
import { WeeklyXp } from './WeeklyXp.entity';

export {
  Battle, BattleAnswer, BattleParticipant, LeaderboardBucket, LeaderboardEntry, LinkCode, Notification, ParentChild, Question,
  RatingHistory, RewardLedgerEntry, SubjectRating, User, WeeklyXp,
};
export type { Role } from './User.entity';
export type { StoredBot } from './Battle.entity';
export type { QuestionSource } from './Question.entity';
export type { RatingScope } from './RatingHistory.entity';

/** Every entity, registered with the one DataSource definition. */
export const ENTITIES = [
  User, ParentChild, LinkCode, Notification, Question, Battle, BattleParticipant, BattleAnswer, RewardLedgerEntry,
  SubjectRating, RatingHistory, WeeklyXp, LeaderboardEntry, LeaderboardBucket,
];
