import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { Battle } from './Battle.entity';
import { User } from './User.entity';

/** What a rating history line is about: the overall rating or one subject's. */
export type RatingScope = 'overall' | 'math' | 'science' | 'language' | 'geography';

/**
 * One rating change: a player's overall or subject rating before and after a battle. The unique key
 * (battle, user, scope) makes writing a battle's change twice impossible, like the reward ledger's.
 * The index is declared DESC in the migration (TypeORM cannot express a column's direction and does not
 * compare it): GET /me/ratings reads it newest first.
 */
@Entity({ name: 'rating_history' })
@Index('rating_history_user_created_idx', ['userId', 'createdAt'])
@Unique('rating_history_battle_user_scope_key', ['battleId', 'userId', 'scope'])
@Check('rating_history_scope_check', `"scope" IN ('overall', 'math', 'science', 'language', 'geography')`)
export class RatingHistory {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'rating_history_user_fk' })
  user?: User;

  @Column({ type: 'varchar', length: 16 })
  scope!: RatingScope;

  @Column({ name: 'battle_id', type: 'uuid' })
  battleId!: string;

  @ManyToOne(() => Battle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'battle_id', foreignKeyConstraintName: 'rating_history_battle_fk' })
  battle?: Battle;

  /** As the battle used it: the deviation includes the inactivity decay applied just before rating. */
  @Column({ name: 'rating_before', type: 'double precision' })
  ratingBefore!: number;

  @Column({ name: 'rating_after', type: 'double precision' })
  ratingAfter!: number;

  @Column({ name: 'deviation_before', type: 'double precision' })
  deviationBefore!: number;

  @Column({ name: 'deviation_after', type: 'double precision' })
  deviationAfter!: number;

  /** When the change happened: the battle's end (the battle's clock, like users.rated_at), not the insert time. */
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
