import { Battle } from './Battle.entity';
import { BattleAnswer } from './BattleAnswer.entity';
import { BattleParticipant } from './BattleParticipant.entity';
import { LinkCode } from './LinkCode.entity';
import { Notification } from './Notification.entity';
import { ParentChild } from './ParentChild.entity';
import { Question } from './Question.entity';
import { RewardLedgerEntry } from './RewardLedgerEntry.entity';
import { User } from './User.entity';

export { Battle, BattleAnswer, BattleParticipant, LinkCode, Notification, ParentChild, Question, RewardLedgerEntry, User };
export type { Role } from './User.entity';
export type { StoredBot } from './Battle.entity';
export type { QuestionSource } from './Question.entity';

/** Every entity, registered with the one DataSource definition. */
export const ENTITIES = [User, ParentChild, LinkCode, Notification, Question, Battle, BattleParticipant, BattleAnswer, RewardLedgerEntry];
