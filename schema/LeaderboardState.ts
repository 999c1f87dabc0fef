import { Schema, type } from '@colyseus/schema';

/**
 * A leaderboard room: which board it follows, when that board next resets (epoch ms; 0 for boards that
 * never do) and how many are watching. The entries themselves travel as messages, since each viewer asks
 * for their own page size and has their own rank.
 */
export class LeaderboardState extends Schema {
  @type('string') board = '';
  @type('float64') resetsAt = 0;
  @type('uint16') viewers = 0;
}
