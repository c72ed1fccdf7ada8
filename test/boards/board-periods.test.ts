import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTimeZone, PeriodSchedule, resetProblem } from '../../src/boards/board-periods.js';

const at = (iso: string) => Date.parse(iso);
const span = (schedule: PeriodSchedule, iso: string) => {
  const period = schedule.periodAt(at(iso));
  return [period.id, period.endsAt!.toISOString()];
};

describe('board periods (pure)', () => {
  it('daily in Europe/Berlin: midnight local, and the October change makes one day 25 hours long', () => {
    const daily = new PeriodSchedule('daily', 'Europe/Berlin');
    assert.deepEqual(span(daily, '2026-10-24T12:00:00Z'), ['2026-10-23T22:00:00.000Z', '2026-10-24T22:00:00.000Z']);
    // 25 October: CEST (UTC+2) until 03:00, then CET (UTC+1).
    assert.deepEqual(span(daily, '2026-10-25T12:00:00Z'), ['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
    assert.deepEqual(span(daily, '2026-10-26T00:30:00Z'), ['2026-10-25T23:00:00.000Z', '2026-10-26T23:00:00.000Z']);
    // And the March change makes one 23 hours long.
    assert.deepEqual(span(daily, '2026-03-29T12:00:00Z'), ['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
  });

  it('a boundary instant starts the new period; the millisecond before ends the old one', () => {
    const daily = new PeriodSchedule('daily', 'UTC');
    assert.equal(daily.periodAt(at('2026-12-02T00:00:00.000Z')).id, '2026-12-02T00:00:00.000Z');
    assert.equal(daily.periodAt(at('2026-12-01T23:59:59.999Z')).id, '2026-12-01T00:00:00.000Z');
  });

  it('weekly starts on Monday 00:00, monthly on the 1st 00:00, in the board time zone', () => {
    assert.deepEqual(span(new PeriodSchedule('weekly', 'UTC'), '2026-12-02T10:00:00Z'), ['2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z']);
    assert.deepEqual(span(new PeriodSchedule('monthly', 'America/New_York'), '2026-12-02T10:00:00Z'), ['2026-12-01T05:00:00.000Z', '2027-01-01T05:00:00.000Z']);
    assert.deepEqual(span(new PeriodSchedule('weekly', 'Asia/Tokyo'), '2026-11-29T16:00:00Z'), ['2026-11-29T15:00:00.000Z', '2026-12-06T15:00:00.000Z']);
  });

  it('any 5-field cron expression: every minute, Fridays 18:00, twice a day', () => {
    assert.deepEqual(span(new PeriodSchedule('* * * * *', 'UTC'), '2026-12-02T10:00:30.500Z'), ['2026-12-02T10:00:00.000Z', '2026-12-02T10:01:00.000Z']);
    assert.deepEqual(span(new PeriodSchedule('0 18 * * 5', 'Europe/London'), '2026-12-02T10:00:00Z'), ['2026-11-27T18:00:00.000Z', '2026-12-04T18:00:00.000Z']);
    assert.deepEqual(span(new PeriodSchedule('0 6,18 * * *', 'UTC'), '2026-12-02T19:00:00Z'), ['2026-12-02T18:00:00.000Z', '2026-12-03T06:00:00.000Z']);
  });

  it('steps back to the previous period and recognises the instants that start one', () => {
    const weekly = new PeriodSchedule('weekly', 'UTC');
    const current = weekly.periodAt(at('2026-12-02T10:00:00Z'));
    assert.equal(weekly.before(current).id, '2026-11-23T00:00:00.000Z');
    assert.equal(weekly.startingExactly(new Date('2026-11-23T00:00:00.000Z'))?.id, '2026-11-23T00:00:00.000Z');
    assert.equal(weekly.startingExactly(new Date('2026-11-24T00:00:00.000Z')), null);
  });

  it('says what is wrong with a reset, and knows IANA time zones', () => {
    for (const good of ['daily', 'weekly', 'monthly', '*/5 * * * *', '0 0 * * 1-5', '30 4 1,15 * *']) assert.equal(resetProblem(good), null, good);
    for (const bad of ['hourly', '* * * *', '0 0 0 * * *', '61 * * * *', 'a b c d e', '0 0 30 2 *']) assert.ok(resetProblem(bad), bad);
    assert.equal(isTimeZone('Europe/Berlin'), true);
    assert.equal(isTimeZone('UTC'), true);
    assert.equal(isTimeZone('Mars/Olympus_Mons'), false);
  });
});
