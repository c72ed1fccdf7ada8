import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseActionCatalogue } from '../../src/scores/action-catalogue.js';
import { honestIncrement, honestProfile } from '../../src/cli/simulate/honest-profile.js';
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
});
