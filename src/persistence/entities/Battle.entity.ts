import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { BattleMode, ParticipantResult, PlayedQuestion } from '../../domain/battleRecord';
import { User } from './User.entity';

/** A bot's line in a stored battle: bots are not users, so they live in the battle row, not in participants. */
export type StoredBot = Omit<ParticipantResult, 'isBot'>;

/**
 * A finished battle, stored once (its id comes from the room, so storing twice is a no-op) with what a
 * replay needs: the seed, the questions exactly as played and (in battle_answers) every answer.
 */
@Entity({ name: 'battles' })
export class Battle {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  mode!: BattleMode;

  @Column({ type: 'varchar', length: 16 })
  subject!: string;

  @Column({ type: 'boolean' })
  rated!: boolean;

  @Column({ type: 'varchar', length: 64 })
  seed!: string;

  @Column({ type: 'smallint' })
  rounds!: number;

  @Column({ name: 'question_ms', type: 'integer' })
  questionMs!: number;

  @Column({ type: 'jsonb' })
  questions!: PlayedQuestion[];

  @Column({ type: 'jsonb' })
  bots!: StoredBot[];

  /** The sole winner when that is a human; null on a tie for first or when a bot won. */
  @Column({ name: 'winner_user_id', type: 'uuid', nullable: true })
  winnerUserId!: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'winner_user_id', foreignKeyConstraintName: 'battles_winner_fk' })
  winner?: User;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'ended_at', type: 'timestamptz' })
  endedAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
