/**
 * The weekly leaderboard period ("XP this week"): ISO 8601 weeks, Monday 00:00 UTC to the next Monday.
 * UTC rather than each family's local time so that every player competes in the same window and a week's
 * board has one key. Pure: the caller passes the current time.
 */

const DAY_MS = 86_400_000;
/** One week in milliseconds. */
export const WEEK_MS = 7 * DAY_MS;

function assertDate(now: Date): void {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new RangeError(`expected a valid Date, got ${String(now)}`);
}

/** Monday 00:00:00.000 UTC of the week containing `now`. */
export function weekStart(now: Date): Date {
  assertDate(now);
  const midnight = new Date(now.getTime()).setUTCHours(0, 0, 0, 0);
  const daysSinceMonday = (now.getUTCDay() + 6) % 7; // getUTCDay: Sunday = 0
  return new Date(midnight - daysSinceMonday * DAY_MS);
}

/** The next Monday 00:00 UTC strictly after `now`: at Monday 00:00 exactly the week has just begun, so a week later. */
export function nextWeeklyReset(now: Date): Date {
  return new Date(weekStart(now).getTime() + WEEK_MS);
}

/** The ISO 8601 week of `now` as "YYYY-Www", e.g. "2026-W48"; the year is the ISO week-numbering year. */
export function weekKey(now: Date): string {
  // ISO 8601: a week belongs to the year of its Thursday, so days near New Year can carry the other year.
  const thursday = new Date(weekStart(now).getTime() + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  const januaryFirst = new Date(0).setUTCFullYear(year, 0, 1);
  const week = Math.floor((thursday.getTime() - januaryFirst) / WEEK_MS) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
