import { assertPage, assertRankEntry, compareEntries, type RankEntry, type RankedEntry } from './rank-entry.js';
import { assertView, windowOffset, type RankChange, type RankIndex, type RankView, type RankWindow } from './rank-index.js';

/** Enough levels for far more players than one process can hold (0.25^-32). */
const MAX_LEVEL = 32;
/** Chance that a node reaches the next level; Redis uses the same value for its sorted sets. */
const LEVEL_PROBABILITY = 0.25;

/**
 * One player in the skip list. The node carries the entry's fields itself (no separate entry
 * object) and stores level 0 in plain fields, because about 3 nodes in 4 have no other level:
 * only those taller nodes allocate the two small arrays.
 */
class SkipNode implements RankEntry {
  userId: string;
  username: string | null;
  score: number;
  lastUpdatedMs: number;
  version: number;
  /** Successor at level 0 (its span is always 1, so it is not stored). */
  next: SkipNode | null = null;
  /** Successors at levels 1.. (index i - 1 holds level i); null on one-level nodes. */
  upperNext: (SkipNode | null)[] | null;
  /** How many level-0 steps each upper successor is ahead: what turns a search into a rank. */
  upperSpan: number[] | null;

  constructor(entry: RankEntry, level: number) {
    this.userId = entry.userId;
    this.username = entry.username;
    this.score = entry.score;
    this.lastUpdatedMs = entry.lastUpdatedMs;
    this.version = entry.version;
    this.upperNext = level > 1 ? new Array<SkipNode | null>(level - 1).fill(null) : null;
    this.upperSpan = level > 1 ? new Array<number>(level - 1).fill(0) : null;
  }

  get level(): number {
    return this.upperNext === null ? 1 : this.upperNext.length + 1;
  }

  forward(level: number): SkipNode | null {
    return level === 0 ? this.next : (this.upperNext?.[level - 1] ?? null);
  }

  setForward(level: number, node: SkipNode | null): void {
    if (level === 0) this.next = node;
    else if (this.upperNext !== null) this.upperNext[level - 1] = node;
  }

  span(level: number): number {
    return level === 0 ? 1 : (this.upperSpan?.[level - 1] ?? 0);
  }

  setSpan(level: number, span: number): void {
    if (level > 0 && this.upperSpan !== null) this.upperSpan[level - 1] = span;
  }

  toRanked(rank: number): RankedEntry {
    return {
      userId: this.userId,
      username: this.username,
      score: this.score,
      lastUpdatedMs: this.lastUpdatedMs,
      version: this.version,
      rank,
    };
  }
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < LEVEL_PROBABILITY) level++;
  return level;
}

/**
 * An indexable skip list in leaderboard order (`compareEntries`), with spans per level like a
 * Redis sorted set, plus a map from user id to node. Rank, update and the start of a page are
 * O(log N) expected.
 */
class RankSkipList {
  private readonly head = new SkipNode({ userId: '', username: null, score: 0, lastUpdatedMs: 0, version: 0 }, MAX_LEVEL);
  private level = 1;
  private readonly nodes = new Map<string, SkipNode>();
  // Scratch space for insert and unlink, reused because every call is synchronous.
  private readonly update: SkipNode[] = new Array<SkipNode>(MAX_LEVEL).fill(this.head);
  private readonly rankAt: number[] = new Array<number>(MAX_LEVEL).fill(0);

  get size(): number {
    return this.nodes.size;
  }

  get(userId: string): SkipNode | undefined {
    return this.nodes.get(userId);
  }

  /** Applies the entry unless the list holds the same or a newer version; returns the rank after and before. */
  upsert(entry: RankEntry): RankChange {
    const existing = this.nodes.get(entry.userId);
    if (existing === undefined) {
      const node = new SkipNode(entry, randomLevel());
      this.nodes.set(node.userId, node);
      return { rank: this.link(node), previousRank: null };
    }
    const previousRank = this.rankOfNode(existing);
    if (existing.version >= entry.version) return { rank: previousRank, previousRank };
    // Reuse the node and its level: a level is independent of the key, so the shape stays random.
    this.unlink(existing);
    existing.username = entry.username;
    existing.score = entry.score;
    existing.lastUpdatedMs = entry.lastUpdatedMs;
    existing.version = entry.version;
    return { rank: this.link(existing), previousRank };
  }

  remove(userId: string): boolean {
    const node = this.nodes.get(userId);
    if (node === undefined) return false;
    this.unlink(node);
    this.nodes.delete(userId);
    return true;
  }

  rankOf(userId: string): RankedEntry | null {
    const node = this.nodes.get(userId);
    return node === undefined ? null : node.toRanked(this.rankOfNode(node));
  }

  top(offset: number, limit: number): RankedEntry[] {
    const result: RankedEntry[] = [];
    if (limit === 0 || offset >= this.nodes.size) return result;
    let node = this.nodeAtRank(offset + 1);
    let rank = offset + 1;
    while (node !== null && result.length < limit) {
      result.push(node.toRanked(rank));
      node = node.next;
      rank++;
    }
    return result;
  }

  /** Inserts a node that is not linked yet; returns its 1-based rank. */
  private link(node: SkipNode): number {
    const { update, rankAt, head } = this;
    let x = head;
    for (let i = this.level - 1; i >= 0; i--) {
      let rank = i === this.level - 1 ? 0 : (rankAt[i + 1] ?? 0);
      let forward = x.forward(i);
      while (forward !== null && compareEntries(forward, node) < 0) {
        rank += x.span(i);
        x = forward;
        forward = x.forward(i);
      }
      rankAt[i] = rank;
      update[i] = x;
    }
    const level = node.level;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rankAt[i] = 0;
        update[i] = head;
        // The node is already in the map but not linked: the list holds size - 1 nodes.
        head.setSpan(i, this.nodes.size - 1);
      }
      this.level = level;
    }
    const rank0 = rankAt[0] ?? 0;
    for (let i = 0; i < level; i++) {
      const before = update[i] ?? head;
      node.setForward(i, before.forward(i));
      before.setForward(i, node);
      const stepsToBefore = rank0 - (rankAt[i] ?? 0);
      node.setSpan(i, before.span(i) - stepsToBefore);
      before.setSpan(i, stepsToBefore + 1);
    }
    for (let i = level; i < this.level; i++) {
      const before = update[i] ?? head;
      before.setSpan(i, before.span(i) + 1);
    }
    return rank0 + 1;
  }

  /** Takes a linked node out of the list (the map is the caller's business). */
  private unlink(node: SkipNode): void {
    const { update, head } = this;
    let x = head;
    for (let i = this.level - 1; i >= 0; i--) {
      let forward = x.forward(i);
      while (forward !== null && compareEntries(forward, node) < 0) {
        x = forward;
        forward = x.forward(i);
      }
      update[i] = x;
    }
    for (let i = 0; i < this.level; i++) {
      const before = update[i] ?? head;
      if (before.forward(i) === node) {
        before.setSpan(i, before.span(i) + node.span(i) - 1);
        before.setForward(i, node.forward(i));
      } else {
        before.setSpan(i, before.span(i) - 1);
      }
    }
    while (this.level > 1 && head.forward(this.level - 1) === null) this.level--;
  }

  private rankOfNode(node: SkipNode): number {
    let x = this.head;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let forward = x.forward(i);
      while (forward !== null && compareEntries(forward, node) <= 0) {
        rank += x.span(i);
        x = forward;
        forward = x.forward(i);
      }
      if (x === node) return rank;
    }
    throw new Error(`rank index corrupt: ${node.userId} is not linked`);
  }

  private nodeAtRank(rank: number): SkipNode | null {
    let x = this.head;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let forward = x.forward(i);
      while (forward !== null && traversed + x.span(i) <= rank) {
        traversed += x.span(i);
        x = forward;
        forward = x.forward(i);
      }
      if (traversed === rank) return x;
    }
    return null;
  }
}

/** A replaceAll in progress: which players were written to the live board meanwhile. */
interface Rebuild {
  readonly startSeq: number;
  readonly touched: Set<string>;
}

interface Board {
  list: RankSkipList;
  readonly rebuilds: Set<Rebuild>;
  /** startSeq of the last rebuild swapped in: an older one finishing later is dropped. */
  lastSwappedSeq: number;
}

/**
 * The in-process rank index (embedded mode, and the fallback while Redis is away): one skip list
 * per board. The async methods do their work synchronously; the `*Sync` twins skip the promise.
 */
export class MemoryRankIndex implements RankIndex {
  private readonly boards = new Map<string, Board>();
  private rebuildSeq = 0;

  /** {@inheritDoc RankIndex.upsert} */
  async upsert(boardId: string, entry: RankEntry): Promise<RankChange> {
    return this.upsertSync(boardId, entry);
  }

  /** {@inheritDoc RankIndex.upsertMany} */
  async upsertMany(boardId: string, entries: readonly RankEntry[]): Promise<RankChange[]> {
    for (const entry of entries) assertRankEntry(entry);
    return entries.map((entry) => this.upsertSync(boardId, entry));
  }

  /** {@inheritDoc RankIndex.remove} */
  async remove(boardId: string, userId: string): Promise<void> {
    this.removeSync(boardId, userId);
  }

  /** {@inheritDoc RankIndex.rankOf} */
  async rankOf(boardId: string, userId: string): Promise<RankedEntry | null> {
    return this.rankOfSync(boardId, userId);
  }

  /** {@inheritDoc RankIndex.ranksOf} */
  async ranksOf(boardId: string, userIds: readonly string[]): Promise<(RankedEntry | null)[]> {
    const list = this.boards.get(boardId)?.list;
    return userIds.map((userId) => list?.rankOf(userId) ?? null);
  }

  /** {@inheritDoc RankIndex.top} */
  async top(boardId: string, offset: number, limit: number): Promise<RankedEntry[]> {
    return this.topSync(boardId, offset, limit);
  }

  /** {@inheritDoc RankIndex.count} */
  async count(boardId: string): Promise<number> {
    return this.countSync(boardId);
  }

  /** {@inheritDoc RankIndex.view} */
  async view(boardId: string, window: RankWindow | null, players: readonly string[]): Promise<RankView> {
    assertView(window, players);
    const list = this.boards.get(boardId)?.list;
    const total = list?.size ?? 0;
    const anchor = window && window.from !== 'offset' ? (list?.rankOf(window.userId) ?? null) : null;
    const offset = window ? windowOffset(window, anchor?.rank ?? null, total) : null;
    return {
      total,
      anchor,
      page: offset === null || !list ? [] : list.top(offset, window!.limit),
      players: players.map((userId) => list?.rankOf(userId) ?? null),
    };
  }

  /** Synchronous `upsert`. */
  upsertSync(boardId: string, entry: RankEntry): RankChange {
    assertRankEntry(entry);
    const board = this.board(boardId);
    this.touch(board, entry.userId);
    return board.list.upsert(entry);
  }

  /** Synchronous `remove`. */
  removeSync(boardId: string, userId: string): void {
    const board = this.boards.get(boardId);
    if (board === undefined) return;
    this.touch(board, userId);
    board.list.remove(userId);
  }

  /** Synchronous `rankOf`. */
  rankOfSync(boardId: string, userId: string): RankedEntry | null {
    return this.boards.get(boardId)?.list.rankOf(userId) ?? null;
  }

  /** Synchronous `top`. */
  topSync(boardId: string, offset: number, limit: number): RankedEntry[] {
    assertPage(offset, limit);
    return this.boards.get(boardId)?.list.top(offset, limit) ?? [];
  }

  /** Synchronous `count`. */
  countSync(boardId: string): number {
    return this.boards.get(boardId)?.list.size ?? 0;
  }

  /**
   * Builds a new skip list from the batches while readers keep using the old one, then swaps.
   * Upserts and removes that reach the live board meanwhile are replayed onto the new list (newer
   * version wins, removals stick), so a rebuild racing live writes does not roll them back. If a
   * rebuild of the same board that started later has already been swapped in, this one is dropped.
   * Duplicate user ids in the batches resolve like upserts. Returns the distinct players read.
   */
  async replaceAll(boardId: string, batches: AsyncIterable<RankEntry[]>): Promise<number> {
    const board = this.board(boardId);
    const rebuild: Rebuild = { startSeq: ++this.rebuildSeq, touched: new Set() };
    board.rebuilds.add(rebuild);
    try {
      const next = new RankSkipList();
      for await (const batch of batches) {
        for (const entry of batch) {
          assertRankEntry(entry);
          next.upsert(entry);
        }
      }
      const written = next.size;
      if (board.lastSwappedSeq > rebuild.startSeq) return written;
      for (const userId of rebuild.touched) {
        const live = board.list.get(userId);
        if (live === undefined) next.remove(userId);
        else next.upsert(live);
      }
      board.list = next;
      board.lastSwappedSeq = rebuild.startSeq;
      return written;
    } finally {
      board.rebuilds.delete(rebuild);
    }
  }

  private board(boardId: string): Board {
    let board = this.boards.get(boardId);
    if (board === undefined) {
      board = { list: new RankSkipList(), rebuilds: new Set(), lastSwappedSeq: 0 };
      this.boards.set(boardId, board);
    }
    return board;
  }

  private touch(board: Board, userId: string): void {
    for (const rebuild of board.rebuilds) rebuild.touched.add(userId);
  }
}
