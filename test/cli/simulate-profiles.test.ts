import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseActionCatalogue } from '../../src/scores/action-catalogue.js';
import { honestIncrement, honestProfile } from '../../src/cli/simulate/honest-profile.js';
import { boardScore, boardsToFeed, plausibleRange, type SimulatedBoard } from '../../src/cli/simulate/board-scores.js';
import { regularIntervalMs, spoofedAddress, spreadCheaters, tooFastProfile, tooMuchScoreProfile, tooRegularProfile } from '../../src/cli/simulate/cheat-profiles.js';
import type { PlayerViewState, ProfileContext } from '../../src/cli/simulate/player-profile.js';
import { prng } from '../helpers/random.js';

/** The players' profiles alone, without a server: what they choose and when, from a seeded random. */

const ACTIONS = parseActionCatalogue(
  { TASK_COMPLETE: { maxScore: 50, minDuration: 1000 }, ACHIEVEMENT: { maxScore: 200, minDuration: 5000 }, LEVEL_UP: { maxScore: 100, minDuration: 30_000 } },
  'test',
);
const RATE_LIMIT = { windowMs: 60_000, maxRequests: 10 };

function view(overrides: Partial<PlayerViewState> = {}): PlayerViewState {
  return {
    index: 1,
    userId: 'sim-1',
    username: 'Ada 1',
    meanIntervalMs: 2000,
    sent: 0,
    actionReadyAt: new Map([...ACTIONS.keys()].map((type) => [type, 0])),
    readyAt: 0,
    memo: {},
    ...overrides,
  };
}

function context(now: number, random: () => number): ProfileContext {
  return { now, actions: ACTIONS, random, rateLimit: RATE_LIMIT };
}

describe('simulate player profiles', () => {
  it('honestIncrement stays within 1..maxScore and is mostly small', () => {
    const random = prng(1);
    const values = Array.from({ length: 10_000 }, () => honestIncrement(50, random));
    assert.ok(values.every((value) => Number.isInteger(value) && value >= 1 && value <= 50));
    const small = values.filter((value) => value <= 6).length / values.length;
    assert.ok(small > 0.4 && small < 0.6, `share at most 6: ${small}`);
    assert.equal(honestIncrement(1, random), 1);
  });

  it('an honest player paces itself between 0.5 and 1.5 mean intervals and keeps the same answer until it acts', () => {
    const random = prng(2);
    const player = view();
    let now = 1_000_000;
    const first = honestProfile.nextDelayMs(player, context(now, random));
    assert.ok(first >= 0 && first < player.meanIntervalMs, `first ${first}`);
    assert.equal(honestProfile.nextDelayMs(player, context(now, random)), first, 'asked again: the same plan');
    const acts: number[] = [];
    for (let i = 0; i < 200; i++) {
      now += Math.max(0, honestProfile.nextDelayMs(player, context(now, random)));
      acts.push(now);
      player.sent += 1;
    }
    const gaps = acts.slice(1).map((at, i) => at - acts[i]!);
    for (const gap of gaps) assert.ok(gap >= 0.5 * player.meanIntervalMs - 1e-6 && gap <= 1.5 * player.meanIntervalMs + 1e-6, `gap ${gap}`);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(Math.abs(mean - player.meanIntervalMs) < 0.1 * player.meanIntervalMs, `mean gap ${mean}`);
  });

  it('an honest player waits for the rate limits and for an action type whose minDuration has passed, and picks a ready one', () => {
    const random = prng(3);
    const now = 1_000_000;
    const busy = view({ readyAt: now + 4000 });
    assert.ok(honestProfile.nextDelayMs(busy, context(now, random)) >= 4000);
    const waiting = view({ actionReadyAt: new Map([...ACTIONS.keys()].map((type) => [type, now + 2500])) });
    assert.ok(honestProfile.nextDelayMs(waiting, context(now, random)) >= 2500);
    const oneReady = view({ actionReadyAt: new Map([['TASK_COMPLETE', now + 900], ['ACHIEVEMENT', 0], ['LEVEL_UP', now + 9000]]) });
    for (let i = 0; i < 50; i++) {
      const choice = honestProfile.chooseAction(oneReady, context(now, random));
      assert.equal(choice.actionType, 'ACHIEVEMENT');
      assert.ok(choice.scoreIncrement >= 1 && choice.scoreIncrement <= 200);
      assert.equal(choice.wrongKey, undefined);
    }
  });

  it('cheaters: too-fast skips the longest minDuration, too-regular keeps a fixed interval, too-much-score claims the max', () => {
    const random = prng(4);
    const now = 1_000_000;
    assert.equal(tooFastProfile.chooseAction(view(), context(now, random)).actionType, 'LEVEL_UP');
    assert.equal(tooRegularProfile.chooseAction(view(), context(now, random)).actionType, 'TASK_COMPLETE');
    const farmed = tooMuchScoreProfile.chooseAction(view(), context(now, random));
    assert.deepEqual(farmed, { actionType: 'ACHIEVEMENT', scoreIncrement: 200 });

    // 10 per 60 s: one every 6065 ms at the least (the window waited out, 60 150 ms, over 10, + 50).
    const interval = regularIntervalMs(ACTIONS, RATE_LIMIT);
    assert.equal(interval, 6065);
    const bot = view();
    let at = now;
    const ticks: number[] = [];
    for (let i = 0; i < 5; i++) {
      at += Math.max(0, tooRegularProfile.nextDelayMs(bot, context(at, random)));
      ticks.push(at);
      bot.sent += 1;
    }
    assert.deepEqual(ticks.slice(1).map((tick, i) => tick - ticks[i]!), [interval, interval, interval, interval]);
  });

  it('spoofed addresses differ request to request, and cheaters are spread round robin', () => {
    const addresses = new Set(Array.from({ length: 100 }, (_, request) => spoofedAddress(1, request)));
    assert.equal(addresses.size, 100);
    for (const address of addresses) assert.match(address, /^(198\.51\.100|203\.0\.113|192\.0\.2)\.\d{1,3}$/);
    assert.deepEqual(spreadCheaters(4, ['too-fast', 'many-ips']).map((profile) => profile.name), ['too-fast', 'many-ips', 'too-fast', 'many-ips']);
    assert.deepEqual(spreadCheaters(3, []), []);
  });

  it('--boards: only best and latest boards without actions, open now, are fed', () => {
    const now = Date.parse('2026-12-03T12:00:00Z');
    const board = (id: string, overrides: object = {}) => ({ id, operator: 'best', sortOrder: 'desc', actions: [], minScore: 0, maxScore: 100, startsAt: null, endsAt: null, period: { id: 'all' }, ...overrides });
    const { boards, skipped } = boardsToFeed(
      [
        board('global', { operator: 'increment', actions: 'all' }),
        board('tasks', { operator: 'increment', actions: ['TASK_COMPLETE'] }),
        board('points', { operator: 'increment' }),
        board('laps', { sortOrder: 'asc', minScore: 20_000, maxScore: 600_000, period: { id: '2026-11-30T00:00:00.000Z' } }),
        board('mood', { operator: 'latest', minScore: -100 }),
        board('over', { endsAt: '2026-12-03T11:59:59Z' }),
        board('soon', { startsAt: '2026-12-03T12:00:01Z' }),
        board('season', { startsAt: '2026-12-01T00:00:00Z', endsAt: '2026-12-31T00:00:00Z' }),
      ],
      now,
    );
    assert.deepEqual(boards, [
      { id: 'laps', operator: 'best', sortOrder: 'asc', minScore: 20_000, maxScore: 600_000, periodId: '2026-11-30T00:00:00.000Z' },
      { id: 'mood', operator: 'latest', sortOrder: 'desc', minScore: -100, maxScore: 100, periodId: 'all' },
      { id: 'season', operator: 'best', sortOrder: 'desc', minScore: 0, maxScore: 100, periodId: 'all' },
    ]);
    assert.deepEqual(skipped.map((entry) => entry.id), ['global', 'tasks', 'points', 'over', 'soon']);
  });

  it('--boards: a best board gets attempts near the best that beat it now and then, a latest board anything in range', () => {
    const random = prng(5);
    const laps: SimulatedBoard = { id: 'laps', operator: 'best', sortOrder: 'asc', minScore: 20_000, maxScore: 600_000, periodId: 'all' };
    const span = 580_000;
    // A first attempt: in the weaker part of the range (a newcomer's time is slow).
    const firsts = Array.from({ length: 1000 }, () => boardScore(laps, undefined, random));
    assert.ok(firsts.every((time) => Number.isInteger(time) && time >= 600_000 - 0.6 * span && time <= 600_000 - 0.1 * span));
    // Then times near the best: about a quarter better, by at most 5 % of the way left to the minimum,
    // the rest worse by at most 3 % of the span.
    let best = 400_000;
    let improved = 0;
    for (let i = 0; i < 400; i++) {
      const time = boardScore(laps, best, random);
      assert.ok(Number.isInteger(time) && time >= best - 0.05 * (best - 20_000) - 1 && time <= best + 0.03 * span + 1, `${time} from ${best}`);
      if (time < best) {
        improved += 1;
        best = time;
      }
    }
    assert.ok(improved > 60 && improved < 140, `${improved} of 400 improved`);
    assert.ok(best < 300_000 && best > 20_000, `improving over time, ${best} after 400 laps`);
    // Never past the range's end, however good the player is.
    const score: SimulatedBoard = { id: 'score', operator: 'best', sortOrder: 'desc', minScore: 0, maxScore: 5000, periodId: 'all' };
    for (let i = 0; i < 200; i++) assert.ok(boardScore(score, 5000, random) <= 5000);
    assert.ok(Array.from({ length: 200 }, () => boardScore(score, 2500, random)).some((value) => value > 2500));

    const mood: SimulatedBoard = { id: 'mood', operator: 'latest', sortOrder: 'desc', minScore: -100, maxScore: 100, periodId: 'all' };
    const values = Array.from({ length: 2000 }, () => boardScore(mood, 50, random));
    assert.ok(values.every((value) => Number.isInteger(value) && value >= -100 && value <= 100));
    assert.ok(Math.min(...values) < -90 && Math.max(...values) > 90, 'spread over the range');
    // A board of the default range (up to 2^53 - 1): scores a player could make, not astronomical ones.
    assert.deepEqual(plausibleRange({ minScore: 0, maxScore: Number.MAX_SAFE_INTEGER }), { low: 0, high: 1_000_000 });
    const single: SimulatedBoard = { ...score, minScore: 7, maxScore: 7 };
    assert.equal(boardScore(single, undefined, random), 7);
    assert.equal(boardScore(single, 7, random), 7);
  });

  it('--boards: an honest player sends about a third of its turns to a board, each board as likely; cheaters never', () => {
    const random = prng(6);
    const boards: SimulatedBoard[] = [
      { id: 'a', operator: 'best', sortOrder: 'desc', minScore: 0, maxScore: 100, periodId: 'all' },
      { id: 'b', operator: 'latest', sortOrder: 'desc', minScore: 0, maxScore: 100, periodId: 'all' },
    ];
    const counts = { a: 0, b: 0, update: 0 };
    for (let i = 0; i < 3000; i++) {
      const choice = honestProfile.chooseSubmission!(view(), { boards, entries: new Map() }, context(0, random));
      if (choice === undefined) counts.update += 1;
      else counts[choice.boardId as 'a' | 'b'] += 1;
    }
    assert.ok(Math.abs(counts.update / 3000 - 2 / 3) < 0.04, JSON.stringify(counts));
    assert.ok(Math.abs(counts.a - counts.b) < 150, JSON.stringify(counts));
    assert.equal(honestProfile.chooseSubmission!(view(), { boards: [], entries: new Map() }, context(0, random)), undefined);
    for (const cheater of spreadCheaters(5)) assert.equal(cheater.chooseSubmission, undefined, cheater.name);
  });
});
