import { Foundation1764028800000 } from './1764028800000-Foundation';
import { Battles1764115200000 } from './1764115200000-Battles';
import { SeedQuestionBank1764115300000 } from './1764115300000-SeedQuestionBank';
import { RatingsAndLeaderboards1764201600000 } from './1764201600000-RatingsAndLeaderboards';
import { NotificationSequence1764892800000 } from './1764892800000-NotificationSequence';

/** Every migration, oldest first. Schema changes only through these; `synchronize` stays off. */
export const MIGRATIONS = [Foundation1764028800000, Battles1764115200000, SeedQuestionBank1764115300000, RatingsAndLeaderboards1764201600000, NotificationSequence1764892800000];
