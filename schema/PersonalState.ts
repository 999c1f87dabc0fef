import { Schema, type } from '@colyseus/schema';

/** A user's personal room: whose it is and how many of their sessions are connected. */
export class PersonalState extends Schema {
  @type('string') userId = '';
  @type('string') username = '';
  @type('uint8') sessions = 0;
}
