import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseActionCatalogue } from '../../src/scores/action-catalogue.js';
import { RateBudget, reachableRate, targetRate } from '../../src/cli/simulate/rate-budget.js';
import { boardReport, buildSummary, doneLine, profileReport, progressLine, readRefusal, SimulationTally, type RunFigures } from '../../src/cli/simulate/simulation-report.js';

/** The report's figures and lines, and the rate bookkeeping, without a server. */

const ACTIONS = parseActionCatalogue({ TASK_COMPLETE: { maxScore: 50, minDuration: 5000 }, ACHIEVEMENT: { maxScore: 200, minDuration: 1000 } }, 'test');

function figures(tally: SimulationTally, overrides: Partial<RunFigures> = {}): RunFigures {
  return { tally, elapsedMs: 12_400, achievedRate: 4.5, leader: { userId: 'sim-2', username: 'Alan 2', score: 120 }, mainGroup: tally.group('honest'), cheaters: 0, ...overrides };
}

describe('simulate report', () => {
  it('reads refusals: a FORBIDDEN by its reason, a usual code as its status, anything else as status/code', () => {
    assert.deepEqual(readRefusal(403, { error: { code: 'FORBIDDEN', details: { reason: 'TOO_FAST', retryAfterMs: 800 } } }), {
      status: 403,
      code: 'FORBIDDEN',
      key: 'TOO_FAST',
      label: '403/TOO_FAST',
      retryAfterMs: 800,
    });
    assert.deepEqual(readRefusal(429, { error: { code: 'RATE_LIMIT_EXCEEDED', details: { retryAfterMs: 1000, scope: 'global' } } }), {
      status: 429,
      code: 'RATE_LIMIT_EXCEEDED',
      key: 'RATE_LIMIT_EXCEEDED',
      label: '429',
      retryAfterMs: 1000,
      scope: 'global',
    });
    assert.equal(readRefusal(400, { error: { code: 'SCORE_VALIDATION_FAILED' } }).label, '400/SCORE_VALIDATION_FAILED');
    assert.deepEqual(readRefusal(502, undefined), { status: 502, code: 'HTTP_502', key: 'HTTP_502', label: '502' });
  });

  it('counts answers and failures in all and per profile, and the lines show them', () => {
    const tally = new SimulationTally();
    const honest = tally.group('honest');
    honest.players = 3;
    const cheat = tally.group('too-fast');
    cheat.players = 1;
    for (let i = 0; i < 5; i++) tally.answered([honest], 200, 2 + i);
    tally.answered([cheat], 403, 3, readRefusal(403, { error: { code: 'FORBIDDEN', details: { reason: 'TOO_FAST' } } }));
    tally.answered([cheat], 403, 3, readRefusal(403, { error: { code: 'FORBIDDEN', details: { reason: 'TOO_FAST' } } }));
    tally.answered([honest], 429, 1, readRefusal(429, { error: { code: 'RATE_LIMIT_EXCEEDED' } }));
    tally.failed([honest], 'ECONNRESET');

    assert.deepEqual({ ...tally.total, byLabel: undefined, byFailure: undefined }, {
      sent: 9,
      ok: 5,
      refused: 3,
      failed: 1,
      byCode: { TOO_FAST: 2, RATE_LIMIT_EXCEEDED: 1, ECONNRESET: 1 },
      byLabel: undefined,
      byFailure: undefined,
    });
    assert.deepEqual(tally.byStatus, { 200: 5, 403: 2, 429: 1 });
    assert.equal(tally.latency.total, 8);
    assert.deepEqual([honest.sent, honest.ok, honest.refused, honest.failed, cheat.sent, cheat.refused], [7, 5, 1, 1, 2, 2]);

    const line = progressLine(figures(tally, { cheaters: 1 }));
    assert.match(line, /^12s {2}sent 9 {2}ok 5 {2}refused 3 \(403\/TOO_FAST:2 429:1\) {2}failed 1 \(ECONNRESET:1\) {2}by profile honest:1 too-fast:2 {2}4\.5\/s {2}p50 [\d.]+ ms {2}p95 [\d.]+ ms {2}leader Alan 2 \(120\)$/);
    assert.doesNotMatch(progressLine(figures(tally)), /by profile/, 'only with cheaters');

    const summary = buildSummary({ figures: figures(tally, { cheaters: 1 }), players: 3, requestedRate: 5, targetRate: 5, stopReason: 'duration', notes: [], flagsRead: true });
    assert.equal(summary.achievedRate, (9 / 12.4));
    assert.ok(summary.latencyMs.p50 >= 2 && summary.latencyMs.p50 <= summary.latencyMs.p99);
    assert.deepEqual(summary.profiles.map((profile) => [profile.name, profile.sent, profile.flagged]), [['honest', 7, 0], ['too-fast', 2, 0]]);
    assert.match(doneLine(summary, figures(tally, { cheaters: 1 })), /^done after 12\.4s \(duration reached\): sent 9, ok 5, refused 3 \(403\/TOO_FAST:2 429:1\), failed 1 \(ECONNRESET:1\), 0\.73\/s \(asked 5\/s\), .*3 players and 1 cheaters, leader Alan 2 \(120\)\n$/);

    cheat.flags.set('sim-too-fast-1', new Set(['TOO_FAST_REPEATED']));
    const flagged = buildSummary({ figures: figures(tally, { cheaters: 1 }), players: 3, requestedRate: 5, targetRate: 5, stopReason: 'signal', notes: [], flagsRead: true });
    const report = profileReport(flagged, tally.groups);
    assert.match(report, /^by profile:\n {2}honest {4}3 players {4}sent 7 +ok 5 +refused 1 \(429:1\) {2}failed 1 \(ECONNRESET:1\)\n {2}too-fast {2}1 player {5}sent 2 +ok 0 +refused 2 \(403\/TOO_FAST:2\)\n/);
    assert.match(report, /^ {2}too-fast {2}1 of 1 player {2}TOO_FAST_REPEATED:1$/m);
    assert.match(report, /^ {2}honest {4}0 of 3 players$/m);
  });

  it('--boards: submissions are counted per board as well as in all, and the boards report shows them', () => {
    const tally = new SimulationTally();
    const honest = tally.group('honest');
    const laps = tally.board({ id: 'laps', operator: 'best', sortOrder: 'asc' });
    const mood = tally.board({ id: 'mood', operator: 'latest', sortOrder: 'desc' });
    for (let i = 0; i < 4; i++) tally.answered([honest, laps], 200, 2);
    tally.answered([honest, mood], 200, 2);
    tally.answered([honest, mood], 403, 2, readRefusal(403, { error: { code: 'FORBIDDEN', details: { reason: 'BOARD_CLOSED' } } }));
    tally.failed([honest, mood], 'TIMEOUT');
    tally.answered([honest], 200, 2);
    assert.deepEqual([tally.total.sent, tally.total.ok, tally.total.refused, tally.total.failed], [8, 6, 1, 1]);

    const facts = { figures: figures(tally), players: 2, requestedRate: 5, targetRate: 5, stopReason: 'duration' as const, notes: [], flagsRead: false };
    assert.equal(buildSummary(facts).boards, undefined, 'only with --boards');
    const summary = buildSummary({ ...facts, boards: true });
    assert.deepEqual(summary.boards, [
      { boardId: 'laps', operator: 'best', sortOrder: 'asc', sent: 4, ok: 4, refused: 0, failed: 0, byCode: {} },
      { boardId: 'mood', operator: 'latest', sortOrder: 'desc', sent: 3, ok: 1, refused: 1, failed: 1, byCode: { BOARD_CLOSED: 1, TIMEOUT: 1 } },
    ]);
    assert.equal(
      boardReport(summary, tally.boards),
      'by board (direct submissions, POST /api/v1/boards/:boardId/scores):\n' +
        '  laps  best asc     sent 4      ok 4      refused 0\n' +
        '  mood  latest desc  sent 3      ok 1      refused 1 (403/BOARD_CLOSED:1)  failed 1 (TIMEOUT:1)\n',
    );
    assert.equal(boardReport(buildSummary(facts), tally.boards), '');
  });

  it('reachableRate and targetRate: the binding limit, and the note when the asked rate is more', () => {
    // Per player: 10 per 60 s (0.167/s) binds before the action types (1/5.15 + 1/1.15 per s).
    const limits = { windowMs: 60_000, maxRequests: 10, globalMaxRequests: 1000 };
    assert.deepEqual(reachableRate({ players: 6, actions: ACTIONS, rateLimit: limits }), { perSec: 1, limitedBy: 'user' });
    assert.equal(reachableRate({ players: 6, actions: ACTIONS, rateLimit: { ...limits, maxRequests: 1000 } }).limitedBy, 'actions');
    assert.deepEqual(reachableRate({ players: 6000, actions: ACTIONS, rateLimit: limits }), { perSec: 1000 / 60, limitedBy: 'global' });
    assert.deepEqual(targetRate({ players: 6, ratePerSec: 1, actions: ACTIONS, rateLimit: limits }), { perSec: 1 });
    const slower = targetRate({ players: 6, ratePerSec: 5, actions: ACTIONS, rateLimit: limits });
    assert.equal(slower.perSec, 1);
    assert.match(slower.note ?? '', /6 honest players can send at most 10 updates per 60 s each \(RATE_LIMIT_MAX_REQUESTS\), so 1 updates\/s .*instead of 5\/s\. For 5\/s use --players 30 or more\.$/);
  });

  it('RateBudget: a player waits out the window after its latest maxRequests attempts; the address after globalMaxRequests', () => {
    let now = 100_000;
    const budget = new RateBudget({ windowMs: 2000, maxRequests: 2, globalMaxRequests: 3 }, () => now);
    assert.equal(budget.windowMs, 2150);
    const attempts: number[] = [];
    assert.equal(budget.userReadyAt(attempts), 0);
    budget.recordAttempt(attempts, 100_000);
    budget.recordAttempt(attempts, 100_500);
    assert.equal(budget.userReadyAt(attempts), 100_000 + 2150);
    // An older attempt learnt from history sorts in; only the latest two are kept.
    budget.recordAttempt(attempts, 99_000);
    assert.deepEqual(attempts, [100_000, 100_500]);

    for (const at of [100_000, 100_100, 100_200]) {
      budget.started();
      budget.ended(at);
    }
    assert.equal(budget.globalReadyAt(now), 100_000 + 2150);
    // At 102 200 the first answer is out of the window, but one request in flight counts too.
    budget.started();
    now = 102_200;
    assert.equal(budget.globalReadyAt(now), 100_100 + 2150);
    budget.pauseGlobal(110_000);
    assert.equal(budget.globalReadyAt(now), 110_000);
  });
});
