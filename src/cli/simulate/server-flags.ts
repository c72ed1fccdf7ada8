import type { SimulationClient } from './simulation-client.js';
import type { ProfileStats } from './simulation-report.js';

/** Rows of GET /api/v1/admin/suspicious-activity read at most (pages of 500). */
const MAX_FLAG_PAGES = 20;

const ROUTE = 'GET /api/v1/admin/suspicious-activity';

interface ActivityPage {
  data?: { activity?: { userId: string; reason: string; createdAt: string }[]; nextBefore?: number | null };
}

/**
 * Reads the flags the server raised since `sinceMs` (server time) for the players of `groupByUser`
 * into their profile's `flags`, newest first, a page of 500 at a time, with an admin token. Says why
 * not when it cannot; undefined when it could.
 */
export async function readFlags(client: SimulationClient, adminToken: string, sinceMs: number, groupByUser: ReadonlyMap<string, ProfileStats>): Promise<string | undefined> {
  let before: number | null = null;
  for (let page = 0; page < MAX_FLAG_PAGES; page++) {
    const answer = await client.suspiciousActivity(adminToken, before);
    if (answer.kind === 'failed') return `${ROUTE} failed (${answer.code})`;
    if (answer.status !== 200) return `${ROUTE} answered ${answer.status}`;
    if (answer.body === undefined) return `${ROUTE} did not answer JSON`;
    const body = answer.body as ActivityPage;
    let older = false;
    for (const row of body.data?.activity ?? []) {
      if (Date.parse(row.createdAt) < sinceMs) {
        older = true;
        continue;
      }
      const group = groupByUser.get(row.userId);
      if (!group) continue;
      const reasons = group.flags.get(row.userId) ?? new Set<string>();
      reasons.add(row.reason);
      group.flags.set(row.userId, reasons);
    }
    before = body.data?.nextBefore ?? null;
    if (older || before === null) return undefined;
  }
  return undefined;
}
