import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Battle } from './Battle.entity';

/**
 * One accepted answer of a battle, with its timing, so a replay recomputes every score. `user_id` is
 * text, not a reference to users: bots answer too, and they are not users.
 */
@Entity({ name: 'battle_answers' })
export class BattleAnswer {
  @PrimaryColumn({ name: 'battle_id', type: 'uuid' })
  battleId!: string;

  @PrimaryColumn({ type: 'smallint' })
  round!: number;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 64 })
  userId!: string;

  @ManyToOne(() => Battle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'battle_id', foreignKeyConstraintName: 'battle_answers_battle_fk' })
  battle?: Battle;

  @Column({ type: 'smallint' })
  choice!: number;

  @Column({ type: 'boolean' })
  correct!: boolean;

  @Column({ name: 'elapsed_ms', type: 'integer' })
  elapsedMs!: number;

  @Column({ type: 'integer' })
  points!: number;
}
