import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from './User.entity';

/**
 * XP a user earned in one UTC week (Monday 00:00 to Monday 00:00), by the end time of the battles that
 * paid it. Kept per week rather than reset in place, so a week's total never depends on when a reset job
 * ran, and past weeks stay readable.
 */
@Entity({ name: 'weekly_xp' })
@Check('weekly_xp_xp_check', `"xp" >= 0`)
export class WeeklyXp {
  @PrimaryColumn({ name: 'week_start', type: 'date' })
  weekStart!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'weekly_xp_user_fk' })
  user?: User;

  @Column({ type: 'integer' })
  xp!: number;
}
