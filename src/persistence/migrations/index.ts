import { Foundation1764028800000 } from './1764028800000-Foundation';

/** Every migration, oldest first. Schema changes only through these; `synchronize` stays off. */
export const MIGRATIONS = [Foundation1764028800000];
