import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type Role = 'student' | 'parent';
export const ROLES: readonly Role[] = ['student', 'parent'];

/** An account with its game profile: level, XP, coins, rating and stats live here from the start. */
@Entity({ name: 'users' })
@Check('users_grade_check', `"grade" BETWEEN 1 AND 8`)
export class User {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Index('users_username_key', { unique: true })
  @Column({ type: 'varchar', length: 24 })
  username!: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 200 })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  @Column({ name: 'display_name', type: 'varchar', length: 40 })
  displayName!: string;

  /** A student's school grade (1..8) when they gave one: battles pick questions near it. */
  @Column({ type: 'smallint', nullable: true })
  grade!: number | null;

  @Column({ type: 'integer', default: 1 })
  level!: number;

  @Column({ type: 'integer', default: 0 })
  xp!: number;

  @Column({ type: 'integer', default: 0 })
  coins!: number;

  @Column({ type: 'double precision', default: 1500 })
  rating!: number;

  @Column({ name: 'rating_deviation', type: 'double precision', default: 350 })
  ratingDeviation!: number;

  @Column({ name: 'rating_volatility', type: 'double precision', default: () => '0.06' })
  ratingVolatility!: number;

  @Column({ name: 'rated_at', type: 'timestamptz', nullable: true })
  ratedAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  battles!: number;

  @Column({ type: 'integer', default: 0 })
  wins!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
