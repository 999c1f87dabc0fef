import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The rank histogram: how many entries of a board have a value in each bucket, at several bucket widths
 * (src/domain/leaderboards.ts explains the levels). It answers "how many players are above this value"
 * from at most a few hundred small rows instead of counting the board. Always equal to the grouped count
 * of leaderboard_entries: both are written together by LeaderboardService.applyChanges, which also refuses
 * (rolls back) a write that would take a count below zero, so a drift shows up as a failed transaction
 * rather than as wrong ranks. That check is in the code, not a CHECK constraint: PostgreSQL checks the row
 * an upsert proposes before it resolves the conflict, so a decrement (a negative proposed count) could not
 * share the one sorted upsert statement with the increments.
 */
@Entity({ name: 'leaderboard_buckets' })
export class LeaderboardBucket {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  board!: string;

  @PrimaryColumn({ type: 'smallint' })
  level!: number;

  @PrimaryColumn({ type: 'integer' })
  bucket!: number;

  @Column({ type: 'integer' })
  members!: number;
}
