import { Schema, type } from '@colyseus/schema';

/** The queue as clients see it: how many are waiting (who they are stays private). */
export class MatchmakingState extends Schema {
  @type('uint16') queued = 0;
}
