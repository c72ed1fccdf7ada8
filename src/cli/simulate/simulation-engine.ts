import { setMaxListeners } from 'node:events';
import type { ActionCatalogue } from '../../scores/action-catalogue.js';
import { manyIpsProfile } from './cheat-profiles.js';
import { honestProfile } from './honest-profile.js';
import { boardsToFeed, plausibleRange, type SimulatedBoard } from './board-scores.js';
import type { ChosenAction, ChosenSubmission, PlayerProfile, ProfileContext } from './player-profile.js';
import { RateBudget, SAFETY_MARGIN_MS, targetRate } from './rate-budget.js';
import { ServerWatch } from './server-watch.js';
import { readFlags } from './server-flags.js';
import { createPlayers, type Player } from './simulated-players.js';
import {
  createTokenMinter,
  forgedKey,
  POLL_TIMEOUT_MS,
  signedSubmissionBody,
  signedUpdateBody,
  SimulationClient,
  TOKEN_REFRESH_MS,
  type TokenClaims,
} from './simulation-client.js';
import { formatElapsed, formatRate } from './simulation-format.js';
import type { ProgressOutput, SimulationOptions } from './simulation-options.js';
import {
  boardReport,
  buildSummary,
  doneLine,
  profileReport,
  progressLine,
  readRefusal,
  SimulationTally,
  type BoardStats,
  type ProfileStats,
  type Tally,
  type Refusal,
  type RunFigures,
  type SimulationSummary,
  type StopReason,
} from './simulation-report.js';

const LEADER_POLL_MS = 5_000;
const BACKOFF_AFTER_FAILURE_MS = 1_000;
/** Responses of this kind, with nothing accepted yet, mean the simulator cannot work against this server. */
const FATAL_AFTER = 3;

const HINTS: Record<string, string> = {
  INVALID_ACTION: 'the server does not know an action type of this catalogue: does the simulator see the same ACTIONS_CONFIG as the server?',
  SCORE_VALIDATION_FAILED: "the server refused an increment: does the simulator see the same ACTIONS_CONFIG as the server?",
  TIMESTAMP_OUT_OF_RANGE: "the server's clock differs from this machine's by more than TIMESTAMP_TOLERANCE_MS",
  TOO_FAST: 'the server refused an update as TOO_FAST: does the simulator see the same ACTIONS_CONFIG as the server?',
  RATE_LIMIT_EXCEEDED: 'the server refused an update as RATE_LIMIT_EXCEEDED: are RATE_LIMIT_* the same as the server\'s, or is something else sending from this address?',
};

const FATAL: Record<string, string> = {
  UNAUTHORIZED: "the server refuses the simulated players' tokens (401 UNAUTHORIZED): give the simulator the server's JWT_SECRET (or the same DATA_DIR)",
  INVALID_SIGNATURE: "the server refuses the updates' signatures (403 INVALID_SIGNATURE): give the simulator the server's HMAC_SECRET_KEY (or the same DATA_DIR)",
  NOT_FOUND: 'the server has no /api/v1/scores/update route (404): is --url a Scoreboard server?',
};

/** A submission refused with one of these means the board no longer takes them (deleted, closed, changed). */
const BOARD_GONE = new Set(['BOARD_NOT_FOUND', 'NOT_ALLOWED', 'BOARD_CLOSED']);
const BOARD_HINTS: Record<string, string> = {
  SCORE_VALIDATION_FAILED: "a board refused a score as out of its range: did its minScore/maxScore change during the run?",
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A row of GET /api/v1/scores/user/:userId/history, as far as the simulator reads it. */
interface HistoryRow {
  actionType: string;
  createdAt: string;
  boardId?: string | null;
  periodId?: string | null;
  scoreAfter?: number;
}

/**
 * Runs simulated players against `options.url` until the duration passes, `options.signal` aborts,
 * the server cannot be reached for `unreachableAfterMs`, or it refuses the simulator outright (wrong
 * secrets). Never throws for network trouble: the summary's `stopReason` and `error` say what happened.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationSummary> {
  return new SimulationRun(options).run();
}

/**
 * One run: its players' loops (each asks its profile when to act and what to send), the requests and
 * what their answers teach (limits, minDurations, back-offs), progress, and the summary at the end.
 */
class SimulationRun {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly output: ProgressOutput;
  private readonly profile: PlayerProfile;
  private readonly cheaters: readonly PlayerProfile[];
  private readonly actions: ActionCatalogue;
  private readonly client: SimulationClient;
  private readonly budget: RateBudget;
  private readonly tally = new SimulationTally();
  private readonly watch: ServerWatch;
  private readonly sign: (claims: TokenClaims) => string;
  private readonly players: Player[];
  private readonly mainGroup: ProfileStats;
  private readonly targetRate: number;
  private readonly profileRateLimit: ProfileContext['rateLimit'];
  /** A key the server does not know, for cheaters that forge signatures. */
  private readonly wrongKey = forgedKey();
  private readonly stopController = new AbortController();
  private stopReason: StopReason | undefined;
  private error: string | undefined;
  private readonly notes: string[] = [];
  private readonly pendingNotes: string[] = [];
  private readonly hinted = new Set<string>();
  private lineShown = false;
  private startedAt: number;
  /** With `--boards`: the boards the players submit to (a board that stops taking them is dropped). */
  private boards: SimulatedBoard[] = [];
  private readonly onAbort = () => this.stop('signal');

  constructor(private readonly options: SimulationOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.output = options.output ?? { write: () => true };
    this.profile = options.profile ?? honestProfile;
    this.cheaters = options.cheaters ?? [];
    this.actions = options.actions;
    this.client = new SimulationClient(options.url);
    this.budget = new RateBudget(options.rateLimit, this.now);
    this.profileRateLimit = { windowMs: options.rateLimit.windowMs, maxRequests: options.rateLimit.maxRequests };
    const target = targetRate(options);
    this.targetRate = target.perSec;
    if (target.note) this.pendingNotes.push(target.note);
    setMaxListeners(0, this.stopController.signal);
    this.sign = createTokenMinter(options.jwtSecret, options.tokenClaims);
    this.mainGroup = this.tally.group(this.profile.name);
    this.players = createPlayers({
      players: options.players,
      profile: this.profile,
      cheaters: this.cheaters,
      prefix: options.userIdPrefix ?? 'sim-',
      meanIntervalMs: (options.players / this.targetRate) * 1000,
      actions: this.actions,
      tally: this.tally,
      sign: this.sign,
      now: this.now,
    });
    const first = this.players[0]!;
    this.watch = new ServerWatch({
      client: this.client,
      now: this.now,
      unreachableAfterMs: options.unreachableAfterMs ?? 10_000,
      onUnreachable: (message) => this.stop('unreachable', message),
      token: () => first.token,
    });
    this.startedAt = this.now();
  }

  async run(): Promise<SimulationSummary> {
    if (this.options.signal?.aborted) this.stop('signal');
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
    const timers: NodeJS.Timeout[] = [];
    try {
      await this.waitForServer();
      if (this.watch.lastContactAt !== undefined && !this.stopReason) {
        if (this.options.boards) await this.loadBoards();
        this.announce();
        this.startedAt = this.now();
        timers.push(...this.startTimers());
        await Promise.all(this.players.map((player) => this.playerLoop(player)));
      }
    } finally {
      for (const timer of timers) clearTimeout(timer);
      this.options.signal?.removeEventListener('abort', this.onAbort);
    }
    return this.finish();
  }

  private stop(reason: StopReason, message?: string): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.error = message;
    this.stopController.abort();
  }

  private note(message: string): void {
    this.notes.push(message);
    this.output.write(`${this.lineShown ? '\r\x1b[K' : ''}${message}\n`);
    this.lineShown = false;
  }

  /** Waits for the server (at most unreachableAfterMs), learning the leader and its clock. */
  private async waitForServer(): Promise<void> {
    const { watch } = this;
    let waitingShown = false;
    while (!this.stopReason && watch.lastContactAt === undefined) {
      await watch.pollLeader(POLL_TIMEOUT_MS);
      if (watch.lastContactAt !== undefined || this.stopReason) break;
      if (!waitingShown) {
        this.output.write(`waiting for the server at ${this.client.base} (${watch.lastNetworkCode}) ...\n`);
        waitingShown = true;
      }
      await sleep(1000, this.stopController.signal);
      watch.checkUnreachable();
    }
  }

  /** The notes held back until the server answered, and what the run is about to do. */
  private announce(): void {
    for (const message of this.pendingNotes) this.note(message);
    const { options, cheaters } = this;
    const until = options.durationMs === undefined ? 'until Ctrl-C' : `for ${formatElapsed(options.durationMs)}`;
    const cheaterGroups = [...this.tally.groups.values()].slice(1).map((group) => `${group.players} ${group.name}`);
    const cheatersText = cheaters.length === 0 ? '' : ` and ${cheaters.length} ${cheaters.length === 1 ? 'cheater' : 'cheaters'} (${cheaterGroups.join(', ')})`;
    this.output.write(`simulating ${options.players} ${this.profile.name} players at ${formatRate(this.targetRate)} updates/s${cheatersText} against ${this.client.base} ${until}\n`);
    if (this.boards.length > 0) {
      const list = this.boards.map((board) => {
        const { low, high } = plausibleRange(board);
        return `${board.id} (${board.operator} ${board.sortOrder}, ${low}..${high})`;
      });
      this.output.write(`a third of the ${this.profile.name} players' turns are submissions to ${this.boards.length} ${this.boards.length === 1 ? 'board' : 'boards'}: ${list.join(', ')}\n`);
    }
    if (cheaters.some((cheater) => cheater === manyIpsProfile)) {
      this.note('note: many-ips players send X-Forwarded-For: the server sees those addresses only when it runs with TRUST_PROXY=true');
    }
  }

  /** `--boards`: the boards to submit to, from GET /api/v1/boards; a note when there are none. */
  private async loadBoards(): Promise<void> {
    const answer = await this.client.boards(this.players[0]!.token);
    if (answer.kind === 'failed') return this.note(`note: --boards: GET /api/v1/boards failed (${answer.code}): only action updates are sent`);
    this.watch.contact();
    const list = (answer.body as { data?: { boards?: unknown } } | undefined)?.data?.boards;
    if (answer.status !== 200 || !Array.isArray(list)) return this.note(`note: --boards: GET /api/v1/boards answered ${answer.status}: only action updates are sent`);
    const { boards, skipped } = boardsToFeed(list, this.now());
    this.boards = boards;
    for (const board of boards) this.tally.board(board);
    const others = skipped.filter((board) => board.id !== 'global').map((board) => `${board.id} (${board.why})`);
    if (boards.length === 0) {
      this.note(`note: --boards: no best or latest board takes submissions now${others.length > 0 ? ` (${others.join(', ')})` : ''}: only action updates are sent`);
    }
  }

  private startTimers(): NodeJS.Timeout[] {
    const { options, watch } = this;
    const tty = this.output.isTTY === true;
    return [
      ...(options.durationMs === undefined ? [] : [setTimeout(() => this.stop('duration'), options.durationMs)]),
      setInterval(() => this.showProgress(), options.progressIntervalMs ?? (tty ? 1000 : 5000)),
      setInterval(() => void watch.pollLeader(POLL_TIMEOUT_MS), LEADER_POLL_MS),
      // While requests fail: look for the server every second, and give up after unreachableAfterMs.
      setInterval(() => {
        if (watch.failingSince === undefined) return;
        void watch.pollLeader(1000);
        watch.checkUnreachable();
      }, 1000),
    ];
  }

  private context(): ProfileContext {
    return { now: this.now(), actions: this.actions, random: this.random, rateLimit: this.profileRateLimit };
  }

  private async playerLoop(player: Player): Promise<void> {
    while (!this.stopReason) {
      const at = this.now();
      if (at - player.tokenAt > TOKEN_REFRESH_MS) {
        player.token = this.sign({ userId: player.view.userId, username: player.view.username });
        player.tokenAt = at;
      }
      player.view.readyAt = Math.max(player.pausedUntil, this.budget.userReadyAt(player.attempts), this.budget.globalReadyAt(at));
      const delay = player.profile.nextDelayMs(player.view, this.context());
      if (delay > 0) {
        await sleep(Math.min(delay, 1000), this.stopController.signal);
        continue;
      }
      if (!player.seeded) {
        await this.seed(player);
        continue;
      }
      const submission = this.boards.length === 0 ? undefined : player.profile.chooseSubmission?.(player.view, { boards: this.boards, entries: player.boardEntries }, this.context());
      if (submission) await this.sendSubmission(player, submission);
      else await this.sendUpdate(player, player.profile.chooseAction(player.view, this.context()));
    }
  }

  /** An update of `actionType` was (or may have been) applied at `at`: its minDuration starts over. */
  private accepted(player: Player, actionType: string, at: number): void {
    const type = actionType.toUpperCase();
    const rule = this.actions.get(type);
    if (rule) player.view.actionReadyAt.set(type, Math.max(player.view.actionReadyAt.get(type) ?? 0, at + rule.minDurationMs + SAFETY_MARGIN_MS));
  }

  /** Learns from the player's history what the server remembers from an earlier run (limits, minDurations). */
  private async seed(player: Player): Promise<void> {
    player.seeded = true;
    const limit = Math.min(100, Math.max(20, this.options.rateLimit.maxRequests));
    const answer = await this.client.history(player.token, player.view.userId, limit);
    if (answer.kind === 'failed') return this.watch.networkFailure(answer.code);
    this.watch.contact();
    if (answer.status !== 200 || answer.body === undefined) return; // 404: a new player
    const body = answer.body as { data?: { history?: HistoryRow[] } };
    const horizon = this.now() - this.budget.windowMs;
    this.learnEntries(player, body.data?.history ?? []);
    for (const entry of body.data?.history ?? []) {
      const at = Date.parse(entry.createdAt) - this.watch.clockOffsetMs + this.watch.clockUncertaintyMs;
      if (!Number.isFinite(at)) continue;
      this.accepted(player, entry.actionType, at);
      if (at > horizon) this.budget.recordAttempt(player.attempts, at);
    }
  }

  /** A player's entries on the boards fed, from its latest submission to each in the current period (history is newest first). */
  private learnEntries(player: Player, history: readonly HistoryRow[]): void {
    for (const row of history) {
      const board = this.boards.find((candidate) => candidate.id === row.boardId);
      if (!board || row.periodId !== board.periodId || player.boardEntries.has(board.id) || typeof row.scoreAfter !== 'number') continue;
      player.boardEntries.set(board.id, row.scoreAfter);
    }
  }

  private async sendUpdate(player: Player, choice: ChosenAction): Promise<void> {
    const payload = signedUpdateBody(choice.wrongKey ? this.wrongKey : this.options.hmacSecretKey, choice, this.now());
    player.view.sent += 1;
    this.budget.started();
    const sentAt = this.now();
    let answeredAt = sentAt;
    try {
      const answer = await this.client.postUpdate(player.token, payload, choice.forwardedFor);
      answeredAt = this.now();
      if (answer.kind === 'failed') return this.failed(player, [player.group], answer.code, sentAt, answeredAt, choice.actionType);
      this.watch.contact();
      if (answer.status !== 200) return this.refused(player, [player.group], readRefusal(answer.status, answer.body), answer.latencyMs, answeredAt, choice.actionType);
      this.tally.answered([player.group], answer.status, answer.latencyMs);
      this.accepted(player, choice.actionType, answeredAt);
      const data = (answer.body as { data?: { rank?: number; newScore?: number } } | undefined)?.data;
      if (data?.rank === 1 && typeof data.newScore === 'number') {
        this.watch.leads({ userId: player.view.userId, username: player.view.username, score: data.newScore }, answeredAt);
      }
    } finally {
      this.budget.ended(answeredAt);
      this.budget.recordAttempt(player.attempts, answeredAt);
    }
  }

  /** `--boards`: a signed direct submission; an accepted one tells the player its entry. */
  private async sendSubmission(player: Player, choice: ChosenSubmission): Promise<void> {
    const stats = this.tally.board(this.boards.find((board) => board.id === choice.boardId) ?? { id: choice.boardId, operator: '?', sortOrder: '?' });
    const tallies = [player.group, stats];
    const payload = signedSubmissionBody(this.options.hmacSecretKey, choice.boardId, choice.score, this.now());
    player.view.sent += 1;
    this.budget.started();
    const sentAt = this.now();
    let answeredAt = sentAt;
    try {
      const answer = await this.client.postSubmission(player.token, choice.boardId, payload);
      answeredAt = this.now();
      if (answer.kind === 'failed') return this.failed(player, tallies, answer.code, sentAt, answeredAt);
      this.watch.contact();
      if (answer.status !== 200) return this.submissionRefused(player, stats, readRefusal(answer.status, answer.body), answer.latencyMs, answeredAt);
      this.tally.answered(tallies, answer.status, answer.latencyMs);
      const entry = (answer.body as { data?: { score?: unknown } } | undefined)?.data?.score;
      if (typeof entry === 'number') player.boardEntries.set(choice.boardId, entry);
    } finally {
      this.budget.ended(answeredAt);
      this.budget.recordAttempt(player.attempts, answeredAt);
    }
  }

  /** A refused submission: as any refusal, and a board that no longer takes submissions is dropped from the run. */
  private submissionRefused(player: Player, stats: BoardStats, refusal: Refusal, latencyMs: number, answeredAt: number): void {
    this.refused(player, [player.group, stats], refusal, latencyMs, answeredAt);
    if (!BOARD_GONE.has(refusal.key) || !this.boards.some((board) => board.id === stats.boardId)) return;
    this.boards = this.boards.filter((board) => board.id !== stats.boardId);
    this.note(`note: board ${stats.boardId} refused a submission with ${refusal.label}: no more submissions to it`);
  }

  /**
   * A refusal: counted, and waited out as the server asks (a 429's retry, a TOO_FAST's minDuration).
   * `actionType`: the update's; undefined for a board submission.
   */
  private refused(player: Player, tallies: readonly Tally[], refusal: Refusal, latencyMs: number, answeredAt: number, actionType?: string): void {
    this.tally.answered(tallies, refusal.status, latencyMs, refusal);
    const { key } = refusal;
    const retryAfterMs = refusal.retryAfterMs ?? BACKOFF_AFTER_FAILURE_MS;
    if (refusal.status === 429) {
      player.pausedUntil = answeredAt + retryAfterMs + SAFETY_MARGIN_MS;
      if (refusal.scope === 'global') this.budget.pauseGlobal(player.pausedUntil);
    } else if (key === 'TOO_FAST' && actionType !== undefined) {
      const type = actionType.toUpperCase();
      player.view.actionReadyAt.set(type, Math.max(player.view.actionReadyAt.get(type) ?? 0, answeredAt + retryAfterMs + SAFETY_MARGIN_MS));
    } else if (refusal.status >= 500) {
      player.pausedUntil = answeredAt + BACKOFF_AFTER_FAILURE_MS;
    }
    const hint = actionType === undefined ? BOARD_HINTS[key] : HINTS[key];
    const hintKey = `${actionType === undefined ? 'board ' : ''}${key}`;
    if (hint && !this.hinted.has(hintKey) && player.profile === honestProfile) {
      this.hinted.add(hintKey);
      this.note(`note: ${hint}`);
    }
    // Only the players' own refusals count: cheaters draw some on purpose (INVALID_SIGNATURE).
    const fatal = FATAL[key];
    if (fatal && this.mainGroup.ok === 0 && (this.mainGroup.byCode[key] ?? 0) >= FATAL_AFTER) this.stop('rejected', fatal);
  }

  /** No answer: it may have been applied, so the player waits as if it was, and backs off. */
  private failed(player: Player, tallies: readonly Tally[], code: string, sentAt: number, answeredAt: number, actionType?: string): void {
    this.tally.failed(tallies, code);
    if (actionType !== undefined) this.accepted(player, actionType, answeredAt);
    player.pausedUntil = answeredAt + BACKOFF_AFTER_FAILURE_MS;
    this.watch.networkFailure(code, sentAt);
  }

  private figures(): RunFigures {
    const elapsedMs = this.now() - this.startedAt;
    return {
      tally: this.tally,
      elapsedMs,
      achievedRate: elapsedMs > 0 ? (this.tally.total.sent / elapsedMs) * 1000 : 0,
      leader: this.watch.leader,
      mainGroup: this.mainGroup,
      cheaters: this.cheaters.length,
    };
  }

  /** A terminal gets one line rewritten; anything else a line each time. */
  private showProgress(): void {
    if (this.output.isTTY === true) {
      this.output.write(`\r${progressLine(this.figures())}\x1b[K`);
      this.lineShown = true;
    } else {
      this.output.write(`${progressLine(this.figures())}\n`);
    }
  }

  /** Reads what is still to read (the leader, the flags), prints the closing lines, returns the summary. */
  private async finish(): Promise<SimulationSummary> {
    const reached = this.watch.lastContactAt !== undefined;
    let flagsError: string | undefined;
    if (reached && this.stopReason !== 'unreachable') {
      await this.watch.pending();
      await this.watch.pollLeader(2000);
      if (this.cheaters.length > 0) flagsError = await this.readFlags();
    }
    const figures = { ...this.figures(), elapsedMs: reached ? this.now() - this.startedAt : 0 };
    const summary = buildSummary({
      figures,
      players: this.options.players,
      requestedRate: this.options.ratePerSec,
      targetRate: this.targetRate,
      stopReason: this.stopReason ?? 'signal',
      error: this.error,
      notes: this.notes,
      flagsRead: this.cheaters.length > 0 && flagsError === undefined && reached,
      flagsError,
      boards: this.options.boards === true,
    });
    if (!reached) return summary;
    this.output.write(`${this.lineShown ? '\r\x1b[K' : ''}${doneLine(summary, figures)}`);
    this.lineShown = false;
    if (this.cheaters.length > 0) this.output.write(profileReport(summary, this.tally.groups));
    this.output.write(boardReport(summary, this.tally.boards));
    return summary;
  }

  /** The flags raised for this run's players since it started, read with an admin token signed like the players'. */
  private readFlags(): Promise<string | undefined> {
    const byUser = new Map(this.players.map((player) => [player.view.userId, player.group]));
    const adminToken = this.sign({ userId: `${this.options.userIdPrefix ?? 'sim-'}admin`, username: 'scoreboard simulate', role: 'admin' });
    const since = this.startedAt + this.watch.clockOffsetMs - this.watch.clockUncertaintyMs;
    return readFlags(this.client, adminToken, since, byUser);
  }
}
