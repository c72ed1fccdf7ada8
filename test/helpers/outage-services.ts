/*
 * Throwaway PostgreSQL and Redis servers that a test owns and may crash and restart at will, and
 * an app builder pointed at them. The machine's shared servers (5432, 6379) are never touched.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { createTokenSigner } from '../../src/auth/jwt.js';
import { createBackends, type Backends } from '../../src/backends.js';
import { loadConfig, type Config } from '../../src/config.js';
import { actionsFile, FAST_ACTIONS, signedBody, TEST_HMAC_KEY, TEST_JWT_SECRET, type ScoreBody } from './app.js';

// ---------------------------------------------------------------------------------------------
// Binaries

/** The newest installed PostgreSQL's bin directory that has initdb and pg_ctl, or null. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  return null;
}

function which(command: string): string | null {
  const result = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() || null : null;
}

const POSTGRES_BIN = findPostgresBin();
const REDIS_SERVER = which('redis-server');
const RUNUSER = which('runuser');
const postgresUser = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
const POSTGRES_UID = postgresUser.status === 0 ? Number(postgresUser.stdout.trim()) : null;
const postgresGroup = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
const POSTGRES_GID = postgresGroup.status === 0 ? Number(postgresGroup.stdout.trim()) : null;

/** A reason to skip the outage suites, or false when everything they need is installed. */
export const SKIP_OUTAGES: string | false = !POSTGRES_BIN
  ? 'PostgreSQL binaries (initdb, pg_ctl under /usr/lib/postgresql/*/bin) not found: outage suite skipped'
  : !REDIS_SERVER
    ? 'redis-server not found on PATH: outage suite skipped'
    : POSTGRES_UID === null || POSTGRES_GID === null
      ? 'no "postgres" OS user to run PostgreSQL as: outage suite skipped'
      : process.getuid?.() === 0 && !RUNUSER
        ? 'runuser not found (needed to run PostgreSQL as the postgres user): outage suite skipped'
        : false;

// ---------------------------------------------------------------------------------------------
// Small utilities

/** A TCP port that was free a moment ago (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with `promise`, or rejects once `ms` have passed: no test waits forever. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `probe` until it returns a truthy value, at most `timeoutMs`; returns the value and how
 * long it took. Throws with the last value seen (or the last error) otherwise.
 */
export async function waitFor<T>(probe: () => Promise<T>, timeoutMs: number, what: string, intervalMs = 50): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return { value, ms: Date.now() - started };
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs) {
      const shown = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`${what}: not reached within ${timeoutMs} ms (last: ${shown?.slice(0, 500)})`);
    }
    await sleep(intervalMs);
  }
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The ids of the processes whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a command to its exit (not to the close of its pipes: pg_ctl's server outlives it). */
function run(command: string, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The command line that runs `bin/<tool> args` as the postgres OS user (directly when we are not root). */
function asPostgres(tool: string, args: string[]): [string, string[]] {
  const path = join(POSTGRES_BIN!, tool);
  return process.getuid?.() === 0 ? [RUNUSER!, ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

// Servers still running when the process exits (a failed `after`, an interrupted run) are stopped here.
const exitHooks = new Set<() => void>();
process.once('exit', () => {
  for (const hook of exitHooks) {
    try {
      hook();
    } catch {
      // best effort
    }
  }
});

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** A PostgreSQL server of our own in a temporary directory, run as the postgres OS user. */
export class OwnPostgres {
  readonly port: number;
  readonly dir: string;
  private readonly dataDir: string;
  /** The processes `freeze` stopped. */
  private frozen: number[] = [];
  private readonly exitHook = () => {
    this.thaw();
    const [command, args] = asPostgres('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', 'stop']);
    spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    rmSync(this.dir, { recursive: true, force: true });
  };

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
    this.dataDir = join(dir, 'data');
  }

  /** initdb in a fresh directory owned by postgres, then start. */
  static async create(): Promise<OwnPostgres> {
    if (SKIP_OUTAGES) throw new Error(SKIP_OUTAGES);
    const dir = mkdtempSync(join(tmpdir(), 'sb-outage-pg-'));
    chownSync(dir, POSTGRES_UID!, POSTGRES_GID!);
    const server = new OwnPostgres(dir, await freePort());
    exitHooks.add(server.exitHook);
    const [command, args] = asPostgres('initdb', ['-D', server.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const init = await run(command, args);
    if (init.code !== 0) {
      await server.destroy();
      throw new Error(`initdb failed (${init.code}):\n${init.output}`);
    }
    await server.start();
    return server;
  }

  /** Base URL of a database on this server. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server (again) on the same port and data directory; resolves once it accepts connections. */
  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      '-c listen_addresses=127.0.0.1',
      // fsync off is safe here: only the server process crashes, never the OS. (synchronous_commit
      // stays on: an acknowledged commit must survive the crash, which is what the tests check.)
      '-c fsync=off',
      '-c max_connections=100',
      '-c shared_buffers=16MB',
    ].join(' ');
    const [command, args] = asPostgres('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
    const result = await run(command, args, 90_000);
    if (result.code !== 0) throw new Error(`pg_ctl start failed (${result.code}):\n${result.output}\n${this.log()}`);
  }

  /** `immediate` is a crash (no checkpoint, connections cut); `fast` a clean shutdown. */
  async stop(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    const [command, args] = asPostgres('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    const result = await run(command, args, 90_000);
    if (result.code !== 0 && !/not running|Is server running/i.test(result.output)) {
      throw new Error(`pg_ctl stop failed (${result.code}):\n${result.output}`);
    }
  }

  async running(): Promise<boolean> {
    return portOpen(this.port);
  }

  /**
   * Freezes the server (SIGSTOP to the postmaster and every backend): it still accepts TCP
   * connections (the kernel does) but never answers, like a server behind a dead network link.
   */
  freeze(): void {
    const postmaster = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // The postmaster first: once it is stopped it forks no backend that the listing could miss.
    process.kill(postmaster, 'SIGSTOP');
    this.frozen = [postmaster];
    for (const pid of childrenOf(postmaster)) {
      process.kill(pid, 'SIGSTOP');
      this.frozen.push(pid);
    }
  }

  /** Resumes a frozen server. */
  thaw(): void {
    for (const pid of this.frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone meanwhile
      }
    }
    this.frozen = [];
  }

  /** The server's log, for failure messages. */
  log(): string {
    const result = spawnSync('tail', ['-n', '30', join(this.dir, 'server.log')], { encoding: 'utf8' });
    return result.stdout ?? '';
  }

  /** A fresh database on this server; returns its URL. */
  async createDatabase(name = `sb_${randomUUID().replace(/-/g, '').slice(0, 12)}`): Promise<string> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  /** Stops the server (a crash: nothing to keep) and removes its directory. */
  async destroy(): Promise<void> {
    exitHooks.delete(this.exitHook);
    this.thaw();
    await this.stop('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Redis

/** A redis-server of our own (no persistence: a restart comes back empty), as a child process. */
export class OwnRedis {
  readonly port: number;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private readonly exitHook = () => {
    this.child?.kill('SIGKILL');
  };

  private constructor(port: number) {
    this.port = port;
  }

  static async create(): Promise<OwnRedis> {
    if (SKIP_OUTAGES) throw new Error(SKIP_OUTAGES);
    const server = new OwnRedis(await freePort());
    exitHooks.add(server.exitHook);
    await server.start();
    return server;
  }

  /** A port for a redis-server that is not running yet: `start()` brings it up later. */
  static async unstarted(): Promise<OwnRedis> {
    if (SKIP_OUTAGES) throw new Error(SKIP_OUTAGES);
    const server = new OwnRedis(await freePort());
    exitHooks.add(server.exitHook);
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server (again) on the same port; resolves once it answers PING. */
  async start(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const child = spawn(REDIS_SERVER!, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.output = '';
    child.stdout!.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000)));
    child.stderr!.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000)));
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.child === child) this.child = null;
        resolve();
      }),
    );
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await waitFor(
        async () => {
          if (!this.child) throw new Error(`redis-server exited:\n${this.output}`);
          if (probe.status !== 'ready') {
            probe.disconnect();
            await probe.connect();
          }
          return (await probe.ping()) === 'PONG';
        },
        20_000,
        `redis-server on port ${this.port}`,
        50,
      );
    } finally {
      probe.disconnect();
    }
  }

  /** SIGTERM (a clean stop) or SIGKILL (a crash); resolves once the process is gone. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await within(this.exited, 15_000, 'redis-server exit').catch(() => {
      child.kill('SIGKILL');
      return this.exited;
    });
  }

  /** True when the server answers PING. */
  async answers(): Promise<boolean> {
    if (!this.child) return false;
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }

  /**
   * Waits until no client but this check is connected, at most `timeoutMs`; returns those left.
   * Socket.IO's Redis streams adapter ends its reading connection only when its blocking XREAD
   * returns (up to 5 s after the app closed, and never while Redis is unreachable): blocked
   * clients are unblocked here so that a closed app's connections really go away.
   */
  async releaseClients(timeoutMs = 10_000): Promise<string[]> {
    const admin = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    admin.on('error', () => undefined);
    try {
      await admin.connect();
      const me = String(await admin.client('ID'));
      const started = Date.now();
      for (;;) {
        const list = String(await admin.client('LIST'))
          .split('\n')
          .filter((line) => line.trim() !== '' && !line.startsWith(`id=${me} `));
        if (list.length === 0) return [];
        if (Date.now() - started > timeoutMs) return list;
        for (const line of list) {
          const id = /^id=(\d+) /.exec(line)?.[1];
          if (id && / flags=\S*b/.test(line)) await admin.client('UNBLOCK', id).catch(() => undefined);
        }
        await sleep(50);
      }
    } finally {
      admin.disconnect();
    }
  }

  /** A client for poking at the server directly (corrupting the cache, say). */
  client(): Redis {
    const client = new Redis(this.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    return client;
  }

  async destroy(): Promise<void> {
    exitHooks.delete(this.exitHook);
    await this.stop('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------
// The app on our own servers

export interface OutageApp {
  app: FastifyInstance;
  config: Config;
  backends: Backends;
  token(userId: string): string;
  /** A correctly signed body (the `t.body()` of test/helpers/app.ts). */
  body(overrides?: Partial<ScoreBody>): ScoreBody;
  /** POST /api/v1/scores/update as `userId`. */
  post(userId: string, body: unknown): Promise<LightMyRequestResponse>;
  get(url: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface OutageAppOptions {
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
  /** Overrides of the configuration (CACHE_REFRESH_INTERVAL_MS, rate limits...). */
  env?: Record<string, string>;
}

const signToken = createTokenSigner(TEST_JWT_SECRET, '1h');
const tokens = new Map<string, string>();

export function tokenFor(userId: string): string {
  let token = tokens.get(userId);
  if (!token) {
    token = signToken({ userId, username: `Player ${userId}` });
    tokens.set(userId, token);
  }
  return token;
}


let fastActions: string | undefined;

/** `createTestApp('production')`, but on the given servers, with the rapid-fire action catalogue. */
export async function createOutageApp(options: OutageAppOptions): Promise<OutageApp> {
  if (!fastActions) {
    const file = actionsFile(FAST_ACTIONS);
    exitHooks.add(() => rmSync(dirname(file), { recursive: true, force: true }));
    fastActions = file;
  }
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: 'memory://',
    JWT_SECRET: TEST_JWT_SECRET,
    HMAC_SECRET_KEY: TEST_HMAC_KEY,
    ACTIONS_CONFIG: fastActions,
    CACHE_REFRESH_INTERVAL_MS: '0',
    RATE_LIMIT_MAX_REQUESTS: '100000',
    RATE_LIMIT_GLOBAL_MAX_REQUESTS: '1000000',
    DATABASE_URL: options.databaseUrl,
    DB_POOL_SIZE: '10',
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: options.keyPrefix,
    BROADCAST_INTERVAL_MS: '100',
    ...options.env,
  });
  const backends = await createBackends(config);
  let app: FastifyInstance;
  try {
    app = await buildApp(config, backends);
    await app.ready();
  } catch (error) {
    await backends.close().catch(() => undefined);
    throw error;
  }
  return {
    app,
    config,
    backends,
    token: tokenFor,
    body: signedBody,
    post: (userId, payload) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/scores/update',
        headers: { authorization: `Bearer ${tokenFor(userId)}` },
        payload: payload as object,
      }),
    get: (url) => app.inject({ method: 'GET', url }),
    async close() {
      await app.close();
      await backends.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// SQL's view, for comparisons

export interface BoardRow {
  userId: string;
  score: number;
}

/** A direct connection to a database (outside the app's pool), for checking what SQL holds. */
export class SqlProbe {
  private readonly pool: pg.Pool;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 3000 });
    this.pool.on('error', () => undefined);
  }

  /** The leaderboard in SQL order (score desc, earlier last_updated, user id). */
  async board(limit = 100): Promise<BoardRow[]> {
    const { rows } = await this.pool.query(
      `SELECT user_id, score FROM scores ORDER BY score DESC, last_updated ASC, user_id COLLATE "C" ASC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({ userId: row.user_id as string, score: Number(row.score) }));
  }

  async score(userId: string): Promise<number> {
    const { rows } = await this.pool.query('SELECT score FROM scores WHERE user_id = $1', [userId]);
    return rows[0] ? Number(rows[0].score) : 0;
  }

  /** The action ids applied for `userId`, from the audit trail. */
  async actionIds(userId: string): Promise<string[]> {
    const { rows } = await this.pool.query('SELECT action_id::text AS id FROM score_history WHERE user_id = $1', [userId]);
    return rows.map((row) => row.id as string);
  }

  /** The 1-based rank `userId` holds in SQL order (0 when they have no score). */
  async rank(userId: string): Promise<number> {
    const { rows } = await this.pool.query(
      `SELECT count(s.*) + 1 AS rank FROM (SELECT score, last_updated FROM scores WHERE user_id = $1) me
       LEFT JOIN scores s ON s.score > me.score OR (s.score = me.score AND (s.last_updated < me.last_updated
         OR (s.last_updated = me.last_updated AND s.user_id COLLATE "C" < $1 COLLATE "C")))
       GROUP BY me.score`,
      [userId],
    );
    return rows[0] ? Number(rows[0].rank) : 0;
  }

  /**
   * Adds `count` players straight to SQL with low scores (1..5), so that rebuilding the rank index
   * takes a noticeable time. Their ids start with `bulk-`.
   */
  async seedPlayers(count: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO users (id, username) SELECT 'bulk-' || lpad(g::text, 7, '0'), 'Bulk ' || g FROM generate_series(1, $1::int) g`,
      [count],
    );
    await this.pool.query(
      `INSERT INTO scores (user_id, score, last_updated, total_actions, first_action, last_action)
       SELECT 'bulk-' || lpad(g::text, 7, '0'), 1 + g % 5, t, 1, t, t
       FROM generate_series(1, $1::int) g, LATERAL (SELECT date_trunc('milliseconds', now()) - g * interval '1 millisecond' AS t) x`,
      [count],
    );
    // The global board's entries mirror the scores rows.
    await this.pool.query(`INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated, version)
       SELECT 'global', 'all', user_id, score, -score, last_updated, total_actions FROM scores WHERE user_id LIKE 'bulk-%'`);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The leaderboard an instance serves: its order, and whether the rank index served it. */
export async function servedBoard(app: OutageApp, limit = 100): Promise<{ status: number; rows: BoardRow[]; cacheHit: boolean | undefined }> {
  const response = await within(app.get(`/api/v1/scores/leaderboard?limit=${limit}`), 10_000, 'GET /api/v1/scores/leaderboard');
  if (response.statusCode !== 200) return { status: response.statusCode, rows: [], cacheHit: undefined };
  const data = response.json().data as { leaderboard: { userId: string; score: number }[]; cacheHit: boolean };
  return { status: 200, rows: data.leaderboard.map((entry) => ({ userId: entry.userId, score: entry.score })), cacheHit: data.cacheHit };
}

export function sameBoard(a: BoardRow[], b: BoardRow[]): boolean {
  return a.length === b.length && a.every((row, i) => row.userId === b[i]!.userId && row.score === b[i]!.score);
}
