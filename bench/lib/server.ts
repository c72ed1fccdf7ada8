import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/scoreboard.js', import.meta.url));

/** Variables of the service's configuration that must never leak in from the caller's shell. */
const CONFIG_VARIABLES = [
  'PORT', 'HOST', 'NODE_ENV', 'LOG_LEVEL', 'DATA_DIR', 'DATABASE_URL', 'DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER',
  'DB_PASSWORD', 'DB_POOL_SIZE', 'REDIS_URL', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_DB', 'REDIS_KEY_PREFIX',
  'JWT_SECRET', 'JWT_EXPIRY', 'HMAC_SECRET_KEY', 'RATE_LIMIT_WINDOW_MS', 'RATE_LIMIT_MAX_REQUESTS',
  'RATE_LIMIT_GLOBAL_MAX_REQUESTS', 'TIMESTAMP_TOLERANCE_MS', 'ACTIONS_CONFIG', 'LEADERBOARD_PUBLIC',
  'BROADCAST_INTERVAL_MS', 'CACHE_REFRESH_INTERVAL_MS', 'AUTO_FREEZE', 'CORS_ORIGINS', 'TLS_CERT_FILE', 'TLS_KEY_FILE',
  'BODY_LIMIT_BYTES', 'TRUST_PROXY', 'ALERT_WEBHOOK_URL', 'FLAGGED_RATE_LIMIT_MAX_REQUESTS', 'FLAG_PENALTY_MS',
  'HTTP_HEADERS_TIMEOUT_MS', 'HTTP_REQUEST_TIMEOUT_MS', 'HTTP_MAX_CONNECTIONS_PER_IP', 'EXPORT_RATE_LIMIT_MAX_REQUESTS',
  'SOCKET_MAX_CONNECTIONS_PER_IP', 'SOCKET_MAX_BUFFERED_BYTES', 'RANK_WATCH_INTERVAL_MS', 'JWT_MAX_AGE',
];

/** The caller's environment without any of the service's configuration. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || CONFIG_VARIABLES.includes(name) || name.startsWith('ANOMALY_')) continue;
    env[name] = value;
  }
  return env;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The soft and hard open-file limits of processes started from here. */
export function fileLimits(): { soft: number; hard: number } {
  const read = (flag: string) => {
    const out = spawnSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).stdout.trim();
    return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
  };
  return { soft: read('-Sn'), hard: read('-Hn') };
}

/** Starts `node <args>` through `sh` with `ulimit -n` raised to `nofile` (when given), keeping the pid. */
export function spawnWithLimit(
  args: string[],
  options: { env: Record<string, string>; nofile?: number; ipc?: boolean; serialization?: 'json' | 'advanced' },
): ChildProcess {
  const raise = options.nofile ? `ulimit -n ${Math.floor(options.nofile)} || exit 111; ` : '';
  return spawn('sh', ['-c', `${raise}exec "$0" "$@"`, process.execPath, ...args], {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    serialization: options.serialization ?? 'json',
  });
}

let serverNodeArgs: string[] = [];

/** Node options of every server process started from now on (e.g. `--cpu-prof`). */
export function setServerNodeArgs(args: string[]): void {
  serverNodeArgs = args;
}

const running = new Set<ServerProcess>();

/** Every server process still running (for the cleanup on failure or Ctrl-C). */
export function runningServers(): ServerProcess[] {
  return [...running];
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  env: Record<string, string>;
  /** How long from spawn until /health/ready answered 200 (includes the start-up rank index rebuild). */
  startMs: number;
  /** The last lines the server printed. */
  output(): string;
  /** How many warn / error lines it has printed so far. */
  logCounts(): { warn: number; error: number };
  /** `ms` of its "rank index rebuilt from the database" lines (only printed at LOG_LEVEL=info). */
  rebuildLogs(): Array<{ players: number; ms: number }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** The server's output as it comes: the last 200 lines, warning and error counts, the rebuilds' log lines. */
function watchOutput(child: ChildProcess) {
  const lines: string[] = [];
  let partial = '';
  const counts = { warn: 0, error: 0 };
  const rebuilds: Array<{ players: number; ms: number }> = [];
  const onData = (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.includes('"level":40')) counts.warn += 1;
      if (line.includes('"level":50') || line.includes('"level":60')) counts.error += 1;
      if (line.includes('rank index rebuilt from the database')) {
        try {
          const parsed = JSON.parse(line) as { players: number; ms: number };
          rebuilds.push({ players: parsed.players, ms: parsed.ms });
        } catch {
          // not JSON: ignore
        }
      }
      lines.push(line);
      if (lines.length > 200) lines.shift();
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return { output: () => [...lines, partial].join('\n'), logCounts: () => ({ ...counts }), rebuildLogs: () => rebuilds };
}

/** Resolves once `/health/ready` answers 200; throws when the server exits first or the deadline passes. */
async function waitReady(server: ServerProcess, exitCode: () => number | null | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode() !== undefined) {
      running.delete(server);
      throw new Error(`server exited with ${exitCode()} before it was ready:\n${server.output()}`);
    }
    if (Date.now() > deadline) {
      await server.stop(1000);
      throw new Error(`server not ready within ${timeoutMs} ms:\n${server.output()}`);
    }
    try {
      const response = await fetch(`${server.url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
}

/**
 * Runs `scoreboard start` as a separate process on a free port of 127.0.0.1 and resolves once
 * `/health/ready` answers 200. The port is chosen here because at LOG_LEVEL=warn the server
 * prints no "listening" line to read it from.
 */
export async function startServer(env: Record<string, string>, options: { nofile?: number; timeoutMs?: number } = {}): Promise<ServerProcess> {
  const port = await freePort();
  // Every load generator and socket swarm connects from 127.0.0.1: no per-address connection cap.
  const fullEnv = { ...cleanEnv(), HOST: '127.0.0.1', HTTP_MAX_CONNECTIONS_PER_IP: '0', SOCKET_MAX_CONNECTIONS_PER_IP: '0', ...env, PORT: String(port) };
  const started = performance.now();
  const child = spawnWithLimit([...serverNodeArgs, BIN, 'start'], { env: fullEnv, nofile: options.nofile });
  const watched = watchOutput(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });

  const server: ServerProcess = {
    child,
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    env: fullEnv,
    startMs: 0,
    ...watched,
    async stop(graceMs = 15_000) {
      if (exitCode === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(timer);
        running.delete(server);
        return code;
      }
      running.delete(server);
      return exitCode;
    },
  };
  running.add(server);
  await waitReady(server, () => exitCode, options.timeoutMs ?? 180_000);
  server.startMs = performance.now() - started;
  return server;
}
