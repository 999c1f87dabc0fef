import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from './User.entity';

/**
 * A student's place on one board: the value the board ranks (a rating as shown, or XP) with the username
 * ties are ordered by, so one index serves the board order (value DESC, username) for both the top and
 * "around me" pages. Rows are written only by LeaderboardService.applyChanges, in the same transaction as
 * the change they mirror, which also keeps leaderboard_buckets in step.
 *
 * The foreign key is RESTRICT on purpose: a cascade would delete entries behind the histogram's back and
 * make every rank below them wrong. Deleting an account must go through LeaderboardService.forgetUser first.
 * The order index is declared DESC on value in the migration (TypeORM cannot express the direction).
 */
@Entity({ name: 'leaderboard_entries' })
@Index('leaderboard_entries_order_idx', ['board', 'value', 'username'])
export class LeaderboardEntry {
  /** 'rating', 'rating:<subject>', 'xp' or 'xp_week:<YYYY-MM-DD>' (each week is its own board). */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  board!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'leaderboard_entries_user_fk' })
  user?: User;

  /** Code-point collation: the tie order must not depend on the server's locale (which ignores "_"). */
  @Column({ type: 'varchar', length: 24, collation: 'C' })
  username!: string;

  @Column({ type: 'integer' })
  value!: number;
}
