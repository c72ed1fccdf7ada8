import { displayUrl, StartupError, type Config } from '../config.js';
import { isConnectionError, sqlState } from './sql-client.js';

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);

/**
 * Turns a failure to open the database at start into one line naming the setting and what was
 * tried: a database that does not exist or refuses the credentials is configuration (exit 2), one
 * that cannot be reached may come back (exit 1).
 */
export function databaseStartupError(config: Config, error: unknown): StartupError {
  if (!config.database) {
    return new StartupError(`DATA_DIR (${config.dataDir}): cannot open the embedded database: ${firstLine(error)}`, 2, { cause: error });
  }
  const where = `${config.database.source} (${displayUrl(config.database.url)})`;
  const state = sqlState(error);
  if (state === '3D000') return new StartupError(`${where}: the database does not exist: ${firstLine(error)}`, 2, { cause: error });
  if (state === '28P01' || state === '28000') {
    return new StartupError(`${where}: PostgreSQL refused the credentials: ${firstLine(error)}`, 2, { cause: error });
  }
  if (isConnectionError(error) || /ENOTFOUND|EAI_AGAIN|timeout/i.test(firstLine(error))) {
    return new StartupError(`${where}: cannot connect to PostgreSQL: ${firstLine(error)}`, 1, { cause: error });
  }
  return new StartupError(`${where}: applying the migrations failed: ${firstLine(error)}`, 1, { cause: error });
}
