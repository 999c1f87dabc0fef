import { MapSchema, Schema, type } from '@colyseus/schema';

/** One seat of a battle, keyed by sessionId in BattleState.players. */
export class BattlePlayerState extends Schema {
  @type('string') userId = '';
  @type('string') username = '';
  @type('boolean') ready = false;
  @type('uint32') score = 0;
  @type('uint8') streak = 0;
  @type('boolean') connected = true;
  @type('boolean') answered = false;
  /** Left during play and did not return: keeps the score, plays no more rounds. */
  @type('boolean') left = false;
  @type('boolean') isBot = false;
}

/** A quiz battle as every client sees it. The correct choice is never here. */
export class BattleState extends Schema {
  @type('string') phase = 'waiting';
  @type('uint8') round = 0;
  @type('uint8') totalRounds = 0;
  @type('string') code = '';
  @type('string') subject = 'mixed';
  @type('string') mode = 'quick';
  @type({ map: BattlePlayerState }) players = new MapSchema<BattlePlayerState>();
  @type('string') winnerUserId = '';
  /** Epoch ms when the countdown ends (0 outside the countdown). */
  @type('float64') startsAt = 0;
}
