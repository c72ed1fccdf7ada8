import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createTokenSigner } from '../auth/jwt.js';
import { USER_ID_PATTERN, USER_ID_RULE } from '../user-id.js';
import { createBackends, openDatabase } from '../backends.js';
import { ConfigError, loadConfig, parseDurationSec, StartupError, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { findAction } from '../scores/action-catalogue.js';
import { signAction } from '../scores/signature.js';
import { signSubmission } from '../boards/board-signature.js';
import { resolveSecrets, withSecrets } from '../secrets.js';
import { closeOnSignals, startServer } from '../server.js';
import { boardsCommand, rebuildCache } from './boards-command.js';
import { CHEAT_PROFILE_NAMES, parseDurationMs, runSimulation, spreadCheaters, type CheatProfileName } from './simulate/index.js';

const USAGE = `Usage: scoreboard <command> [options]

Commands:
  start                      Serve the API, live updates and the page (embedded mode unless DATABASE_URL is set)
  migrate                    Apply the database migrations and exit
  token --user ID [--admin] [--expires 24h] [--username NAME]
                             Print a JWT signed with the configured JWT_SECRET
  sign [--action TYPE] [--score N] [--action-id UUID] [--timestamp ISO]
                             Print a score update body signed with the configured HMAC_SECRET_KEY
  sign --board ID --score N [--action-id UUID] [--timestamp ISO]
                             Print a signed direct submission body for POST /api/v1/boards/ID/scores
  simulate [--players 20] [--rate 5] [--url URL] [--duration 30s] [--prefix sim-] [--boards]
           [--cheaters 0] [--cheat-profiles too-fast,too-regular,too-much-score,many-ips,bad-signature]
                             Simulated players post signed score updates to a running server (--rate:
                             updates/s in all; --url default http://localhost:PORT; until Ctrl-C
                             unless --duration), with a progress line. --cheaters N adds N cheating
                             players spread round robin over --cheat-profiles (default all), and the
                             summary shows who the server flagged and why (many-ips sets
                             X-Forwarded-For: the server must run with TRUST_PROXY=true to see it).
                             --boards: a third of the players' turns (within --rate) are signed
                             submissions to the best and latest boards that take them (GET
                             /api/v1/boards at the start), with plausible scores in each board's
                             range; the summary counts them per board, with the refusals' codes
  rebuild-cache              Rebuild the rank index (Redis or memory) of every board from the database and exit
  boards list                Print every board, its current period and its number of entries
  boards apply FILE          Create or update the boards a JSON file defines (the BOARDS_CONFIG format;
                             never deletes), through the database, as at start

Configuration comes from the environment (see README); development secrets live in DATA_DIR.`;

function fail(message: string): never {
  process.stderr.write(`scoreboard: ${message}\n`);
  process.exit(2);
}

/**
 * Ends the command with what went wrong, a line per problem and no stack trace: every bad
 * setting at once (exit 2), a start-up failure naming its setting (exit 2 or 1), anything else as
 * one line (exit 1; LOG_LEVEL=debug adds the stack).
 */
function report(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(error.problems.map((problem) => `scoreboard: configuration error: ${problem}\n`).join(''));
    process.exit(2);
  }
  if (error instanceof StartupError) {
    process.stderr.write(`scoreboard: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  const code = (error as { code?: string } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) fail((error as Error).message);
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`scoreboard: failed: ${message.split('\n')[0]}\n`);
  if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  process.exit(1);
}

/** The configuration with secrets, as the server would resolve them. */
function configWithSecrets(): Config {
  const config = loadConfig();
  return withSecrets(config, resolveSecrets(config));
}

function token(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: {
      user: { type: 'string' },
      admin: { type: 'boolean', default: false },
      expires: { type: 'string' },
      username: { type: 'string' },
    },
  });
  if (!values.user) fail('token needs --user ID');
  if (!USER_ID_PATTERN.test(values.user)) fail(`--user must be ${USER_ID_RULE}`);
  if (values.expires !== undefined && parseDurationSec(values.expires) === undefined) fail('--expires must be a duration like 24h, 15m or 3600');
  const config = configWithSecrets();
  if (values.expires !== undefined && parseDurationSec(values.expires)! > config.jwtMaxAgeSec) {
    fail(`--expires ${values.expires} is longer than JWT_MAX_AGE (${config.jwtMaxAgeSec} s): the server would refuse the token`);
  }
  const sign = createTokenSigner(config.jwtSecret!, config.jwtExpiry, config.tokens);
  const claims = {
    userId: values.user,
    username: values.username ?? values.user,
    ...(values.admin ? { role: 'admin' } : {}),
  };
  process.stdout.write(`${sign(claims, values.expires)}\n`);
}

function sign(args: string[]): void {
  const config = configWithSecrets();
  const [firstAction] = config.actions.keys();
  const { values } = parseArgs({
    args,
    options: {
      action: { type: 'string', default: firstAction },
      score: { type: 'string' },
      'action-id': { type: 'string' },
      timestamp: { type: 'string' },
      board: { type: 'string' },
    },
  });
  if (values.board !== undefined) return signBoardSubmission(config, values.board, values);
  const actionType = values.action ?? 'TASK_COMPLETE';
  const rule = findAction(config.actions, actionType)?.rule;
  const scoreIncrement = values.score === undefined ? Math.min(10, rule?.maxScore ?? 10) : Number(values.score);
  if (!Number.isFinite(scoreIncrement)) fail('--score must be a number');
  const body = {
    actionId: values['action-id'] ?? randomUUID(),
    actionType,
    scoreIncrement,
    timestamp: values.timestamp ?? new Date().toISOString(),
    clientSignature: '',
  };
  body.clientSignature = signAction(config.hmacSecretKey!, body);
  process.stdout.write(`${JSON.stringify(body)}\n`);
}

/** `sign --board ID --score N`: a direct submission's body (DESIGN section 11's signature). */
function signBoardSubmission(config: Config, boardId: string, values: { score?: string; 'action-id'?: string; timestamp?: string }): void {
  const score = values.score === undefined ? NaN : Number(values.score);
  if (!Number.isSafeInteger(score)) fail('--score must be an integer with --board');
  const unsigned = { actionId: values['action-id'] ?? randomUUID(), score, timestamp: values.timestamp ?? new Date().toISOString() };
  const body = { ...unsigned, clientSignature: signSubmission(config.hmacSecretKey!, { ...unsigned, boardId }) };
  process.stdout.write(`${JSON.stringify(body)}\n`);
}

async function migrateCommand(): Promise<void> {
  // Migrating signs nothing: production secrets are not needed for it.
  const config = loadConfig(process.env, { requireSecrets: false });
  const log = createLogger(config);
  const sql = await openDatabase(config, log);
  await sql.close();
  process.stdout.write(`migrations are up to date (${config.mode} mode)\n`);
}

const SIMULATE_OPTIONS = {
  players: { type: 'string' },
  rate: { type: 'string' },
  url: { type: 'string' },
  duration: { type: 'string' },
  prefix: { type: 'string' },
  cheaters: { type: 'string' },
  'cheat-profiles': { type: 'string' },
  boards: { type: 'boolean' },
} as const;

function simulateArgs(args: string[]) {
  try {
    return parseArgs({ args, options: SIMULATE_OPTIONS }).values;
  } catch (error) {
    fail(`simulate: ${(error as Error).message}`);
  }
}

async function simulate(args: string[]): Promise<void> {
  const values = simulateArgs(args);
  const players = Number(values.players ?? 20);
  if (!/^\d+$/.test(values.players ?? '20') || players < 1 || players > 10_000) fail('--players must be a whole number from 1 to 10000');
  const rate = Number(values.rate ?? 5);
  if (!/^\d*\.?\d+$/.test(values.rate ?? '5') || !(rate > 0) || rate > 100_000) fail('--rate must be a positive number of updates per second (all players together)');
  const durationMs = values.duration === undefined ? undefined : parseDurationMs(values.duration);
  if (values.duration !== undefined && durationMs === undefined) fail('--duration must be a positive duration like 30s, 2m or 1h');
  const cheaterCount = Number(values.cheaters ?? 0);
  if (!/^\d+$/.test(values.cheaters ?? '0') || cheaterCount > 10_000) fail('--cheaters must be a whole number from 0 to 10000');
  const profileNames = (values['cheat-profiles'] ?? CHEAT_PROFILE_NAMES.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = profileNames.filter((name) => !(CHEAT_PROFILE_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || profileNames.length === 0) {
    fail(`--cheat-profiles must be a comma-separated list of ${CHEAT_PROFILE_NAMES.join(', ')}${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}`);
  }
  if (values['cheat-profiles'] !== undefined && cheaterCount === 0) fail('--cheat-profiles needs --cheaters N (how many cheaters)');
  const prefix = values.prefix ?? 'sim-';
  const longestId = cheaterCount > 0 ? `${prefix}${[...profileNames].sort((a, b) => b.length - a.length)[0]}-${cheaterCount}` : `${prefix}${players}`;
  if (!USER_ID_PATTERN.test(`${prefix}${players}`) || !USER_ID_PATTERN.test(longestId)) {
    fail(`--prefix must be printable ASCII (user ids are <prefix><number> and <prefix><profile>-<number>: ${USER_ID_RULE})`);
  }
  const config = configWithSecrets();
  const url = values.url ?? `http://localhost:${config.port}`;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) fail(`--url must be an http:// or https:// URL, got "${url}"`);

  // Ctrl-C (or SIGTERM): stop sending, let in-flight requests finish, print the summary. Twice: quit now.
  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await runSimulation({
      url,
      players,
      ratePerSec: rate,
      durationMs,
      jwtSecret: config.jwtSecret!,
      tokenClaims: config.tokens,
      hmacSecretKey: config.hmacSecretKey!,
      actions: config.actions,
      rateLimit: config.rateLimit,
      userIdPrefix: prefix,
      cheaters: spreadCheaters(cheaterCount, profileNames as CheatProfileName[]),
      boards: values.boards === true,
      signal: controller.signal,
      output: process.stdout,
    });
    if (summary.error) {
      process.stderr.write(`scoreboard: ${summary.error}\n`);
      process.exitCode = 1;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function start(): Promise<void> {
  const server = await startServer(loadConfig());
  closeOnSignals(server);
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'start':
        return await start();
      case 'migrate':
        return await migrateCommand();
      case 'token':
        return token(args);
      case 'sign':
        return sign(args);
      case 'simulate':
        return await simulate(args);
      case 'rebuild-cache':
        return await rebuildCache();
      case 'boards':
        return await boardsCommand(args);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return;
      default:
        fail(`unknown command "${command}"\n\n${USAGE}`);
    }
  } catch (error) {
    report(error);
  }
}

await main(process.argv.slice(2));
