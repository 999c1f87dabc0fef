import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import type { RewardKind } from '../../domain/rewards';
import { Battle } from './Battle.entity';
import { User } from './User.entity';

/**
 * One reward line paid to a user: the audit trail behind their XP and coins. The unique key
 * (battle, user, kind) makes paying a battle's reward twice impossible, whatever the code above does.
 */
@Entity({ name: 'reward_ledger' })
@Unique('reward_ledger_battle_user_kind_key', ['battleId', 'userId', 'kind'])
@Index('reward_ledger_user_idx', ['userId'])
export class RewardLedgerEntry {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'reward_ledger_user_fk' })
  user?: User;

  @Column({ name: 'battle_id', type: 'uuid' })
  battleId!: string;

  @ManyToOne(() => Battle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'battle_id', foreignKeyConstraintName: 'reward_ledger_battle_fk' })
  battle?: Battle;

  @Column({ type: 'varchar', length: 32 })
  kind!: RewardKind;

  @Column({ type: 'integer' })
  xp!: number;

  @Column({ type: 'integer' })
  coins!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
