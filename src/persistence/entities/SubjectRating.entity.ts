import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { Subject } from '../../domain/questionPack';
import { User } from './User.entity';

/**
 * A student's Glicko-2 rating in one subject, next to the overall one in users. The row appears with the
 * first rated battle in that subject; until then the subject rating is the Glicko-2 default.
 */
@Entity({ name: 'subject_ratings' })
@Check('subject_ratings_subject_check', `"subject" IN ('math', 'science', 'language', 'geography')`)
export class SubjectRating {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  subject!: Subject;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'subject_ratings_user_fk' })
  user?: User;

  @Column({ type: 'double precision' })
  rating!: number;

  @Column({ type: 'double precision' })
  deviation!: number;

  @Column({ type: 'double precision' })
  volatility!: number;

  /** When the rating last moved (the end of the battle that moved it); inactivity decay counts from here. */
  @Column({ name: 'rated_at', type: 'timestamptz' })
  ratedAt!: Date;

  /** Rated battles played in this subject. */
  @Column({ type: 'integer' })
  battles!: number;
}
