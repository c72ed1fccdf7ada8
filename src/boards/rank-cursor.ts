import { createHmac, timingSafeEqual } from 'node:crypto';
import type { BoardRef } from './board.js';

/**
 * Where a page of a board ended: the last entry's place in board order (its order score, the time
 * it reached its score, its user id) and rank. The next page starts right after that place (keyset
 * paging: as cheap 900,000 entries deep as on the first page), in the same board and period, so
 * paging continues in its period across a reset.
 */
export interface CursorPosition extends BoardRef {
  /** The entry's score as the board orders it: the score for `asc`, minus it for `desc`. */
  orderScore: number;
  lastUpdatedMs: number;
  userId: string;
  rank: number;
}

const TAG_BYTES = 16;

/**
 * Makes and checks opaque cursors: base64url JSON and an HMAC tag, so a cursor cannot be altered or
 * forged, and one made for another board or period is refused. The key is derived from a secret
 * every instance shares, so any instance continues any cursor.
 */
export class RankCursors {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('scoreboard rank cursor v1').digest();
  }

  encode(position: CursorPosition): string {
    const body = Buffer.from(
      JSON.stringify([position.boardId, position.periodId, position.orderScore, position.lastUpdatedMs, position.userId, position.rank]),
    ).toString('base64url');
    return `${body}.${this.tag(body)}`;
  }

  /** The position a cursor names, or null when it is malformed, altered or not this board's and period's. */
  decode(cursor: string, expected: BoardRef): CursorPosition | null {
    if (cursor.length > 2048) return null;
    const dot = cursor.indexOf('.');
    if (dot <= 0) return null;
    const body = cursor.slice(0, dot);
    // The tag's text is compared, not its decoded bytes: base64url's last character carries unused
    // bits, and a cursor with any character changed must be refused.
    const tag = Buffer.from(cursor.slice(dot + 1));
    const wanted = Buffer.from(this.tag(body));
    if (tag.length !== wanted.length || !timingSafeEqual(tag, wanted)) return null;
    let fields: unknown;
    try {
      fields = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (!Array.isArray(fields) || fields.length !== 6) return null;
    const [boardId, periodId, orderScore, lastUpdatedMs, userId, rank] = fields as unknown[];
    if (boardId !== expected.boardId || periodId !== expected.periodId) return null;
    if (!Number.isSafeInteger(orderScore) || !Number.isSafeInteger(lastUpdatedMs) || typeof userId !== 'string' || !Number.isSafeInteger(rank)) return null;
    return { boardId, periodId, orderScore: orderScore as number, lastUpdatedMs: lastUpdatedMs as number, userId, rank: rank as number };
  }

  private tag(body: string): string {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, TAG_BYTES).toString('base64url');
  }
}
