import assert from 'node:assert/strict';
import { nextWeeklyReset, weekKey, weekStart } from '../../src/domain/weeks';

const at = (iso: string): Date => new Date(iso);

/**
 * An independent ISO 8601 week computation (the ordinal-date formula, not the Thursday rule used by the
 * module), so a mistake in either shows up as a disagreement.
 */
function isoWeekByOrdinal(date: Date): string {
  const y = date.getUTCFullYear();
  const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const weekday = (year: number, month: number, day: number) => ((new Date(Date.UTC(year, month, day)).getUTCDay() + 6) % 7) + 1; // Mon=1..Sun=7
  const weeksIn = (year: number) => {
    const jan1 = weekday(year, 0, 1);
    return jan1 === 4 || (jan1 === 3 && isLeap(year)) ? 53 : 52;
  };
  const ordinal = Math.round((Date.UTC(y, date.getUTCMonth(), date.getUTCDate()) - Date.UTC(y, 0, 1)) / 86_400_000) + 1;
  const week = Math.floor((ordinal - weekday(y, date.getUTCMonth(), date.getUTCDate()) + 10) / 7);
  if (week < 1) return `${y - 1}-W${weeksIn(y - 1)}`;
  if (week > weeksIn(y)) return `${y + 1}-W01`;
  return `${y}-W${String(week).padStart(2, '0')}`;
}

describe('weeks', () => {
  describe('weekStart', () => {
    it('is Monday 00:00 UTC of the same week, from Monday 00:00 to the last millisecond of Sunday', () => {
      assert.equal(weekStart(at('2026-11-23T00:00:00.000Z')).toISOString(), '2026-11-23T00:00:00.000Z');
      assert.equal(weekStart(at('2026-11-25T13:45:10.500Z')).toISOString(), '2026-11-23T00:00:00.000Z');
      assert.equal(weekStart(at('2026-11-29T23:59:59.999Z')).toISOString(), '2026-11-23T00:00:00.000Z');
      assert.equal(weekStart(at('2026-11-30T00:00:00.000Z')).toISOString(), '2026-11-30T00:00:00.000Z');
    });

    it('crosses month and year boundaries', () => {
      assert.equal(weekStart(at('2027-01-01T08:00:00Z')).toISOString(), '2026-12-28T00:00:00.000Z');
      assert.equal(weekStart(at('2024-03-01T00:00:00Z')).toISOString(), '2024-02-26T00:00:00.000Z');
    });

    it('rejects an invalid date', () => {
      assert.throws(() => weekStart(new Date('not a date')), RangeError);
    });
  });

  describe('nextWeeklyReset', () => {
    it('on Sunday 23:59:59.999 UTC is the next day at 00:00', () => {
      assert.equal(nextWeeklyReset(at('2026-11-29T23:59:59.999Z')).toISOString(), '2026-11-30T00:00:00.000Z');
    });

    it('on Monday 00:00:00.000 exactly is a week later, strictly after now', () => {
      assert.equal(nextWeeklyReset(at('2026-11-30T00:00:00.000Z')).toISOString(), '2026-12-07T00:00:00.000Z');
      assert.equal(nextWeeklyReset(at('2026-11-30T00:00:00.001Z')).toISOString(), '2026-12-07T00:00:00.000Z');
    });

    it('is always a Monday midnight within the next seven days', () => {
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2026, 1, 1); t += 3_600_000 + 1) {
        const reset = nextWeeklyReset(new Date(t));
        assert.equal(reset.getUTCDay(), 1);
        assert.equal(reset.getTime() % 86_400_000, 0);
        assert.ok(reset.getTime() > t && reset.getTime() - t <= 7 * 86_400_000, new Date(t).toISOString());
      }
    });
  });

  describe('weekKey', () => {
    it('uses the ISO week-numbering year at year boundaries', () => {
      assert.equal(weekKey(at('2026-12-31T12:00:00Z')), '2026-W53');
      assert.equal(weekKey(at('2027-01-01T00:00:00Z')), '2026-W53');
      assert.equal(weekKey(at('2027-01-03T23:59:59.999Z')), '2026-W53');
      assert.equal(weekKey(at('2027-01-04T00:00:00Z')), '2027-W01');
      assert.equal(weekKey(at('2021-01-03T12:00:00Z')), '2020-W53');
      assert.equal(weekKey(at('2024-12-30T00:00:00Z')), '2025-W01');
      assert.equal(weekKey(at('2026-11-26T09:00:00Z')), '2026-W48');
    });

    it('agrees with the ordinal-date formula on every day of 1999–2041', () => {
      for (let t = Date.UTC(1999, 0, 1); t < Date.UTC(2042, 0, 1); t += 86_400_000) {
        const day = new Date(t + 43_200_000);
        assert.equal(weekKey(day), isoWeekByOrdinal(day), day.toISOString());
      }
    });

    it('is the same for the whole week and changes at the reset', () => {
      const monday = at('2026-11-23T00:00:00Z');
      assert.equal(weekKey(monday), weekKey(at('2026-11-29T23:59:59.999Z')));
      assert.notEqual(weekKey(monday), weekKey(nextWeeklyReset(monday)));
    });
  });
});
