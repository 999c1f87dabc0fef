import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Battle } from './Battle.entity';
import { User } from './User.entity';

/**
 * A human's result in a battle, with the rating and rewards it brought. `ended_at` is copied from the
 * battle so a user's history pages off one index (user_id, ended_at) without a join.
 */
@Entity({ name: 'battle_participants' })
@Index('battle_participants_user_ended_idx', ['userId', 'endedAt'])
export class BattleParticipant {
  @PrimaryColumn({ name: 'battle_id', type: 'uuid' })
  battleId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => Battle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'battle_id', foreignKeyConstraintName: 'battle_participants_battle_fk' })
  battle?: Battle;

  // A deleted account takes its battle lines with it: children's data does not outlive the account.
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'battle_participants_user_fk' })
  user?: User;

  /** As it was when the battle ended (usernames are fixed today, but history must not depend on that). */
  @Column({ type: 'varchar', length: 24 })
  username!: string;

  @Column({ type: 'integer' })
  score!: number;

  @Column({ type: 'smallint' })
  placement!: number;

  @Column({ name: 'correct_answers', type: 'smallint' })
  correctAnswers!: number;

  @Column({ type: 'boolean' })
  forfeited!: boolean;

  @Column({ name: 'rating_before', type: 'double precision' })
  ratingBefore!: number;

  @Column({ name: 'rating_after', type: 'double precision' })
  ratingAfter!: number;

  @Column({ name: 'deviation_before', type: 'double precision' })
  deviationBefore!: number;

  @Column({ name: 'deviation_after', type: 'double precision' })
  deviationAfter!: number;

  @Column({ type: 'integer' })
  xp!: number;

  @Column({ type: 'integer' })
  coins!: number;

  @Column({ name: 'ended_at', type: 'timestamptz' })
  endedAt!: Date;
}
