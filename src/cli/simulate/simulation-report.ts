import { LatencyHistogram } from './latency-histogram.js';
import { formatElapsed, formatMs, formatRate } from './simulation-format.js';

/**
 * What a run counted and how it reads: the tallies (in all, per profile), the progress line, the
 * closing line, the per-profile report and the summary. No I/O: the engine feeds it and writes it.
 */

export type StopReason = 'duration' | 'signal' | 'unreachable' | 'rejected';

export type Leader = { userId: string; username: string | null; score: number } | null;

export interface SimulationSummary {
  players: number;
  /** Requests that completed (answered or failed). */
  sent: number;
  /** Answered 200. */
  ok: number;
  /** Answered with an error status. */
  refused: number;
  /** No answer (connection refused, reset, timeout). */
  failed: number;
  /** Answers by HTTP status, e.g. `{"200": 95, "429": 3}`. */
  byStatus: Record<string, number>;
  /**
   * Refusals and failures by error code; a 403's `details.reason` stands for FORBIDDEN (`TOO_FAST`,
   * `INVALID_SIGNATURE`, ...), a failure's network code for itself (`ECONNREFUSED`, `TIMEOUT`).
   */
  byCode: Record<string, number>;
  /** Of the answered requests, in ms (about 1 % precision). */
  latencyMs: { p50: number; p95: number; p99: number };
  elapsedMs: number;
  /** What was asked for, and what the run aimed at within the server's limits (updates/s). */
  requestedRate: number;
  targetRate: number;
  achievedRate: number;
  leader: Leader;
  stopReason: StopReason;
  /** Why the run failed (`unreachable`, `rejected`). */
  error?: string;
  /** Notes printed during the run (the reachable-rate warning, configuration hints). */
  notes: string[];
  /** The same counts per profile: `players`' profile first, then the cheaters' in order of appearance. */
  profiles: ProfileSummary[];
  /** Why the flags could not be read (runs with cheaters only). */
  flagsError?: string;
  /** Runs with `--boards`: the direct submissions to each board fed, in the order of the board list. */
  boards?: BoardSummary[];
}

export interface BoardSummary {
  boardId: string;
  operator: string;
  sortOrder: string;
  /** Submissions sent to the board, accepted (200), refused, without an answer. */
  sent: number;
  ok: number;
  refused: number;
  failed: number;
  /** As {@link SimulationSummary.byCode}. */
  byCode: Record<string, number>;
}

export interface ProfileSummary {
  name: string;
  players: number;
  sent: number;
  ok: number;
  refused: number;
  failed: number;
  /** As {@link SimulationSummary.byCode}. */
  byCode: Record<string, number>;
  /**
   * Runs with cheaters, when the flags could be read: how many of the profile's players the server
   * flagged since the run started (`suspicious_activity`), and how many per reason.
   */
  flagged?: number;
  reasons?: Record<string, number>;
}

/** Counts of requests: in all, of a profile. */
export interface Tally {
  sent: number;
  ok: number;
  refused: number;
  failed: number;
  byCode: Record<string, number>;
  /** Refusals by label (`429`, `403/TOO_FAST`). */
  byLabel: Map<string, number>;
  /** Failures by network code. */
  byFailure: Map<string, number>;
}

export interface ProfileStats extends Tally {
  name: string;
  players: number;
  /** User id -> reasons flagged, read at the end (runs with cheaters). */
  flags: Map<string, Set<string>>;
}

export interface BoardStats extends Tally {
  boardId: string;
  operator: string;
  sortOrder: string;
}

/** A refusal as the server gave it: its code, the key it is counted under, and what it asks of the client. */
export interface Refusal {
  status: number;
  code: string;
  /** The code, or a FORBIDDEN's `details.reason` (`TOO_FAST`, `INVALID_SIGNATURE`). */
  key: string;
  /** `429` for a status's usual code, `403/TOO_FAST` for anything else. */
  label: string;
  retryAfterMs?: number;
  /** A 429's `details.scope` (`global`: the per-address limit). */
  scope?: unknown;
}

interface ErrorEnvelope {
  error?: { code?: unknown; details?: { reason?: unknown; retryAfterMs?: unknown; scope?: unknown } };
}

/** The usual code of a status: shown as just the status (`429`), anything else as `403/TOO_FAST`. */
const PLAIN_CODES: Record<number, string> = {
  401: 'UNAUTHORIZED',
  409: 'DUPLICATE_ACTION',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMIT_EXCEEDED',
  503: 'SERVICE_UNAVAILABLE',
};

/** Reads an error answer (the error envelope, or anything else) as a {@link Refusal}. */
export function readRefusal(status: number, body: unknown): Refusal {
  const envelope = (body as ErrorEnvelope | undefined)?.error;
  const code = typeof envelope?.code === 'string' ? envelope.code : `HTTP_${status}`;
  const reason = typeof envelope?.details?.reason === 'string' ? envelope.details.reason : undefined;
  const key = code === 'FORBIDDEN' && reason ? reason : code;
  const label = PLAIN_CODES[status] === code || key === `HTTP_${status}` ? String(status) : `${status}/${key}`;
  const retryAfterMs = typeof envelope?.details?.retryAfterMs === 'number' ? envelope.details.retryAfterMs : undefined;
  return { status, code, key, label, ...(retryAfterMs === undefined ? {} : { retryAfterMs }), ...(envelope?.details?.scope === undefined ? {} : { scope: envelope.details.scope }) };
}

export function newTally(): Tally {
  return { sent: 0, ok: 0, refused: 0, failed: 0, byCode: {}, byLabel: new Map(), byFailure: new Map() };
}

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

function bumpMap(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** The run's counters: in all (with statuses and latencies), and per profile in order of appearance. */
export class SimulationTally {
  readonly total = newTally();
  readonly byStatus: Record<string, number> = {};
  readonly latency = new LatencyHistogram();
  readonly groups = new Map<string, ProfileStats>();
  /** Per board fed (`--boards`), in the order they were added. */
  readonly boards = new Map<string, BoardStats>();

  /** The counters of a board the players submit to. */
  board(board: { id: string; operator: string; sortOrder: string }): BoardStats {
    let stats = this.boards.get(board.id);
    if (!stats) {
      stats = { boardId: board.id, operator: board.operator, sortOrder: board.sortOrder, ...newTally() };
      this.boards.set(board.id, stats);
    }
    return stats;
  }

  /** The counters of a profile, made on first use. */
  group(name: string): ProfileStats {
    let group = this.groups.get(name);
    if (!group) {
      group = { name, players: 0, ...newTally(), flags: new Map() };
      this.groups.set(name, group);
    }
    return group;
  }

  /** An answer, counted in all and in each of `tallies`: accepted without a refusal, else refused. */
  answered(tallies: readonly Tally[], status: number, latencyMs: number, refusal?: Refusal): void {
    this.latency.record(latencyMs);
    bump(this.byStatus, String(status));
    for (const tally of [this.total, ...tallies]) {
      tally.sent += 1;
      if (!refusal) {
        tally.ok += 1;
        continue;
      }
      tally.refused += 1;
      bump(tally.byCode, refusal.key);
      bumpMap(tally.byLabel, refusal.label);
    }
  }

  /** A request that got no answer (`code`: the network code). */
  failed(tallies: readonly Tally[], code: string): void {
    for (const tally of [this.total, ...tallies]) {
      tally.sent += 1;
      tally.failed += 1;
      bump(tally.byCode, code);
      bumpMap(tally.byFailure, code);
    }
  }
}

/** ` (429:3 403/TOO_FAST:1)`, most frequent first; empty for none. */
export function labelList(labels: ReadonlyMap<string, number> | undefined): string {
  return !labels || labels.size === 0 ? '' : ` (${[...labels.entries()].sort((a, b) => b[1] - a[1]).map(([label, count]) => `${label}:${count}`).join(' ')})`;
}

/** `refused 4 (429:3 403/TOO_FAST:1)`, and `failed 2 (ECONNREFUSED:2)` when requests got no answer. */
export function refusedText(tally: Tally, separator: string): string {
  return `refused ${tally.refused}${labelList(tally.byLabel)}${tally.failed > 0 ? `${separator}failed ${tally.failed}${labelList(tally.byFailure)}` : ''}`;
}

export function leaderText(leader: Leader): string {
  return leader ? `${leader.username ?? leader.userId} (${leader.score})` : '-';
}

/** What the progress line and the closing line show of a run at one moment. */
export interface RunFigures {
  tally: SimulationTally;
  elapsedMs: number;
  achievedRate: number;
  leader: Leader;
  /** The `players`' profile's counters (shown even without refusals). */
  mainGroup: ProfileStats;
  /** Cheaters in the run: then refusals per profile are shown. */
  cheaters: number;
}

/** With cheaters, the refusals per profile: `by profile honest:0 too-fast:7 bad-signature:3` (the players' always, cheaters' once refused). */
function byProfileText({ tally, mainGroup, cheaters }: RunFigures): string[] {
  if (cheaters === 0) return [];
  const shown = [...tally.groups.values()].filter((group) => group === mainGroup || group.refused > 0);
  return [`by profile ${shown.map((group) => `${group.name}:${group.refused}`).join(' ')}`];
}

/** `12s  sent 60  ok 60  refused 0  5/s  p50 1.2 ms  p95 3.4 ms  leader Ada 1 (120)`. */
export function progressLine(figures: RunFigures): string {
  const { tally } = figures;
  return [
    formatElapsed(figures.elapsedMs),
    `sent ${tally.total.sent}`,
    `ok ${tally.total.ok}`,
    refusedText(tally.total, '  '),
    ...byProfileText(figures),
    `${formatRate(figures.achievedRate)}/s`,
    `p50 ${formatMs(tally.latency.percentile(0.5))} ms`,
    `p95 ${formatMs(tally.latency.percentile(0.95))} ms`,
    `leader ${leaderText(figures.leader)}`,
  ].join('  ');
}

const WHY: Record<StopReason, string> = { duration: 'duration reached', signal: 'interrupted', unreachable: 'server unreachable', rejected: 'refused by the server' };

/** The closing line: `done after 3.0s (duration reached): sent 60, ok 60, refused 0, ...`. */
export function doneLine(summary: SimulationSummary, figures: RunFigures): string {
  const { total } = figures.tally;
  return (
    `done after ${(summary.elapsedMs / 1000).toFixed(1)}s (${WHY[summary.stopReason]}): sent ${total.sent}, ok ${total.ok}, ${refusedText(total, ', ')}, ` +
    `${formatRate(summary.achievedRate)}/s (asked ${formatRate(summary.requestedRate)}/s), ` +
    `latency p50 ${formatMs(summary.latencyMs.p50)} ms p95 ${formatMs(summary.latencyMs.p95)} ms p99 ${formatMs(summary.latencyMs.p99)} ms, ` +
    `${summary.players} players${figures.cheaters > 0 ? ` and ${figures.cheaters} cheaters` : ''}, leader ${leaderText(summary.leader)}\n`
  );
}

/** The figures of a finished run, as {@link SimulationSummary}. */
export interface SummaryFacts {
  figures: RunFigures;
  players: number;
  requestedRate: number;
  targetRate: number;
  stopReason: StopReason;
  error?: string;
  notes: string[];
  /** Runs with `--boards`. */
  boards?: boolean;
  /** Whether the flags were read (runs with cheaters that reached the server), or why they could not be. */
  flagsRead: boolean;
  flagsError?: string;
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

export function buildSummary(facts: SummaryFacts): SimulationSummary {
  const { tally, elapsedMs, leader } = facts.figures;
  const { total } = tally;
  return {
    players: facts.players,
    sent: total.sent,
    ok: total.ok,
    refused: total.refused,
    failed: total.failed,
    byStatus: tally.byStatus,
    byCode: total.byCode,
    latencyMs: { p50: round1(tally.latency.percentile(0.5)), p95: round1(tally.latency.percentile(0.95)), p99: round1(tally.latency.percentile(0.99)) },
    elapsedMs,
    requestedRate: facts.requestedRate,
    targetRate: facts.targetRate,
    achievedRate: elapsedMs > 0 ? (total.sent / elapsedMs) * 1000 : 0,
    leader,
    stopReason: facts.stopReason,
    ...(facts.error === undefined ? {} : { error: facts.error }),
    notes: facts.notes,
    profiles: [...tally.groups.values()].map((group) => profileSummary(group, facts.flagsRead)),
    ...(facts.flagsError === undefined || facts.figures.cheaters === 0 ? {} : { flagsError: facts.flagsError }),
    ...(facts.boards ? { boards: [...tally.boards.values()].map(boardSummary) } : {}),
  };
}

function boardSummary(stats: BoardStats): BoardSummary {
  const { boardId, operator, sortOrder, sent, ok, refused, failed, byCode } = stats;
  return { boardId, operator, sortOrder, sent, ok, refused, failed, byCode };
}

/** The per-board lines of a run with `--boards`: submissions sent, accepted, refused with their codes. */
export function boardReport(summary: SimulationSummary, boards: ReadonlyMap<string, BoardStats>): string {
  const rows = summary.boards ?? [];
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map((row) => row.boardId.length));
  const lines = ['by board (direct submissions, POST /api/v1/boards/:boardId/scores):'];
  for (const row of rows) {
    const stats = boards.get(row.boardId);
    lines.push(
      `  ${row.boardId.padEnd(width)}  ${`${row.operator} ${row.sortOrder}`.padEnd(11)}  sent ${String(row.sent).padEnd(5)}  ok ${String(row.ok).padEnd(5)}  ` +
        `refused ${row.refused}${labelList(stats?.byLabel)}${row.failed > 0 ? `  failed ${row.failed}${labelList(stats?.byFailure)}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function profileSummary(group: ProfileStats, flagsRead: boolean): ProfileSummary {
  const reasons: Record<string, number> = {};
  for (const flags of group.flags.values()) for (const reason of flags) bump(reasons, reason);
  return {
    name: group.name,
    players: group.players,
    sent: group.sent,
    ok: group.ok,
    refused: group.refused,
    failed: group.failed,
    byCode: group.byCode,
    ...(flagsRead ? { flagged: group.flags.size, reasons } : {}),
  };
}

/** Shown beside a many-ips profile the server never flagged for IP_BURST. */
const MANY_IPS_HINT = '  (IP_BURST needs the server to run with TRUST_PROXY=true, or it never sees the X-Forwarded-For addresses)';

/** The per-profile lines of a run with cheaters: what each profile sent, and who the server flagged. */
export function profileReport(summary: SimulationSummary, groups: ReadonlyMap<string, ProfileStats>): string {
  const width = Math.max(...summary.profiles.map((profile) => profile.name.length));
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const lines = ['by profile:'];
  for (const profile of summary.profiles) {
    const group = groups.get(profile.name);
    lines.push(
      `  ${profile.name.padEnd(width)}  ${count(profile.players, 'player').padEnd(11)}  sent ${String(profile.sent).padEnd(5)}  ok ${String(profile.ok).padEnd(5)}  ` +
        `refused ${profile.refused}${labelList(group?.byLabel)}${profile.failed > 0 ? `  failed ${profile.failed}${labelList(group?.byFailure)}` : ''}`,
    );
  }
  if (summary.flagsError !== undefined) {
    lines.push(`flagged: unknown (${summary.flagsError})`);
    return `${lines.join('\n')}\n`;
  }
  lines.push('flagged by the server since the run started (GET /api/v1/admin/suspicious-activity), players per reason:');
  for (const profile of summary.profiles) {
    const reasons = Object.entries(profile.reasons ?? {}).sort((a, b) => b[1] - a[1]);
    let text = `  ${profile.name.padEnd(width)}  ${profile.flagged ?? 0} of ${count(profile.players, 'player')}`;
    if (reasons.length > 0) text += `  ${reasons.map(([reason, n]) => `${reason}:${n}`).join(' ')}`;
    if (profile.name === 'many-ips' && !(profile.reasons?.IP_BURST ?? 0)) text += MANY_IPS_HINT;
    lines.push(text);
  }
  return `${lines.join('\n')}\n`;
}
