import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMemoryDataDir, StartupError, type Config } from './config.js';

export interface ResolvedSecrets {
  jwtSecret: string;
  hmacSecretKey: string;
  /** Names of the secrets that were generated rather than configured. */
  generated: string[];
  /** Where generated secrets are kept, or null when they live only in this process. */
  file: string | null;
}

/**
 * Fills in missing secrets outside production: generated once and kept in `DATA_DIR/secrets.json`
 * (mode 0600) so that tokens and signatures stay valid across restarts. Production never gets here
 * without both secrets: `loadConfig` refuses it.
 */
export function resolveSecrets(config: Config): ResolvedSecrets {
  if (config.jwtSecret && config.hmacSecretKey) {
    return { jwtSecret: config.jwtSecret, hmacSecretKey: config.hmacSecretKey, generated: [], file: null };
  }
  if (config.nodeEnv === 'production') throw new Error('JWT_SECRET and HMAC_SECRET_KEY are required in production');
  const file = isMemoryDataDir(config.dataDir) ? null : join(config.dataDir, 'secrets.json');
  try {
    return generateMissing(config, file);
  } catch (error) {
    throw new StartupError(`DATA_DIR (${config.dataDir}): cannot keep the development secrets in ${file}: ${(error as Error).message}`, 2, { cause: error });
  }
}

function generateMissing(config: Config, file: string | null): ResolvedSecrets {
  let stored: Partial<Record<'jwtSecret' | 'hmacSecretKey', string>> = {};
  if (file && existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
  const generated: string[] = [];
  const pick = (configured: string | undefined, name: 'jwtSecret' | 'hmacSecretKey', env: string): string => {
    if (configured) return configured;
    const kept = stored[name];
    if (kept && Buffer.byteLength(kept) >= 32) return kept;
    generated.push(env);
    stored[name] = randomBytes(32).toString('base64url');
    return stored[name];
  };
  const jwtSecret = pick(config.jwtSecret, 'jwtSecret', 'JWT_SECRET');
  const hmacSecretKey = pick(config.hmacSecretKey, 'hmacSecretKey', 'HMAC_SECRET_KEY');
  if (file && generated.length > 0) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { jwtSecret, hmacSecretKey, generated, file };
}

/** The configuration with its secrets filled in. */
export function withSecrets(config: Config, secrets: ResolvedSecrets): Config {
  return Object.freeze({ ...config, jwtSecret: secrets.jwtSecret, hmacSecretKey: secrets.hmacSecretKey });
}
