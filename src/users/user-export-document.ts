/** What an export starts with: everything but the two lists, which follow page by page. */
export interface ExportOpening {
  exportedAt: string;
  user: Record<string, unknown>;
  score: Record<string, unknown> | null;
  /** Every board entry, `global` included: `{boardId, period (its id), score, lastUpdated}`. */
  boards: readonly Record<string, unknown>[];
}

/**
 * The export document as text, a piece per page: `{"success":true,"data":{"exportedAt", "user",
 * "score", "boards", "history": [...], "suspiciousActivity": [...]}}`, the same JSON as one
 * `JSON.stringify` of the whole would give, but never held whole in memory. A page is only asked
 * for once the previous piece has been taken, so a slow reader slows the reading of pages.
 */
export async function* exportDocument(
  opening: ExportOpening,
  history: AsyncIterable<readonly unknown[]>,
  suspiciousActivity: AsyncIterable<readonly unknown[]>,
): AsyncGenerator<string> {
  yield `{"success":true,"data":{"exportedAt":${JSON.stringify(opening.exportedAt)},"user":${JSON.stringify(opening.user)},` +
    `"score":${JSON.stringify(opening.score)},"boards":${JSON.stringify(opening.boards)},"history":[`;
  yield* jsonListItems(history);
  yield '],"suspiciousActivity":[';
  yield* jsonListItems(suspiciousActivity);
  yield ']}}';
}

/** The items of a JSON list, one piece per page, with the commas between them. */
async function* jsonListItems(pages: AsyncIterable<readonly unknown[]>): AsyncGenerator<string> {
  let first = true;
  for await (const page of pages) {
    if (page.length === 0) continue;
    const items = page.map((item) => JSON.stringify(item)).join(',');
    yield first ? items : `,${items}`;
    first = false;
  }
}

/** A page of rows after `afterId`, in id order. */
export type PageReader<T extends { id: number }> = (afterId: number, limit: number) => Promise<T[]>;

/**
 * Keyset pages of `read` until one comes back short: each page is its own short query, so
 * nothing (no transaction, no connection) is held between two pages.
 */
export async function* keysetPages<T extends { id: number }>(read: PageReader<T>, pageSize: number): AsyncGenerator<T[]> {
  let afterId = 0;
  for (;;) {
    const page = await read(afterId, pageSize);
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    afterId = page[page.length - 1]!.id;
  }
}
