import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Subject } from '../../domain/questionPack';

/** Where a stored question came from: the curated bank (seeded by migration) or an imported pack. */
export type QuestionSource = 'bank' | 'pack';

/**
 * A multiple-choice question battles draw from: the curated bank (seeded by migration) or an imported
 * pack. A battle stores the questions it played in its own row, so editing a question never changes a
 * stored battle or its replay.
 */
@Entity({ name: 'questions' })
@Index('questions_subject_grade_idx', ['subject', 'grade'])
@Check('questions_grade_check', `"grade" BETWEEN 1 AND 8`)
@Check('questions_difficulty_check', `"difficulty" BETWEEN 1 AND 3`)
@Check('questions_answer_check', `"answer" >= 0`)
@Check('questions_source_check', `"source" IN ('bank', 'pack')`)
export class Question {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  subject!: Subject;

  @Column({ type: 'smallint' })
  grade!: number;

  @Column({ type: 'smallint' })
  difficulty!: number;

  @Column({ type: 'varchar', length: 200 })
  prompt!: string;

  @Column({ type: 'jsonb' })
  choices!: string[];

  @Column({ type: 'smallint' })
  answer!: number;

  @Column({ type: 'varchar', length: 16 })
  source!: QuestionSource;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
