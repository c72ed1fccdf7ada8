import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { assertPage, assertRankEntry, type RankEntry, type RankedEntry } from './rank-entry.js';
import { assertView, windowOffset, type RankChange, type RankIndex, type RankView, type RankWindow } from './rank-index.js';

/*
 * Keys of one board, all sharing the hash tag `{boardId}` so Redis Cluster keeps them in one slot
 * (the scripts touch several of them at once):
 *   lb:{b}:z          sorted set. Score = -score, member = `${lastUpdatedMs as 15 digits}:${userId}`.
 *                     Equal scores are ordered by member bytes, i.e. earlier time first, then user
 *                     id ascending, so ascending ZRANGE/ZRANK order is exactly `compareEntries`.
 *                     -score is exact: every integer up to 2^53 is a double.
 *   lb:{b}:h          hash userId -> `version|score|lastUpdatedMs(15 digits)|username` (score may be negative). The username
 *                     comes last so it may contain `|`; a null username has no fourth field at all
 *                     (`1|10|000000000000005`), an empty one has an empty fourth field (`...005|`).
 *                     The hash lets a script find (and remove) a player's current member.
 *   lb:{b}:rb         hash with the state of running rebuilds (replaceAll): epoch, active, seq, swapped.
 *                     Exists only while a rebuild runs (and expires if its runner dies).
 *   lb:{b}:t          sorted set userId -> seq: players written to the live keys during a rebuild.
 *   lb:{b}:rebuild:<token>:z / :h   the content a rebuild is building.
 * Scores, times and versions reach Lua as decimal strings built in JS and are only compared there
 * (never formatted back by Lua), so large values cannot come out as 9.007199254741e+15.
 */

const LUA_HELPERS = `
local function memberOf(details, userId)
  return string.match(details, '^%d+|%-?%d+|(%d+)') .. ':' .. userId
end
local function versionOf(details)
  return tonumber(string.match(details, '^(%d+)|'))
end
local function negScoreOf(details)
  local score = string.match(details, '^%d+|(%-?%d+)|')
  if score == '0' then return '0' end
  if string.sub(score, 1, 1) == '-' then return string.sub(score, 2) end
  return '-' .. score
end
local function touch(rb, t, userId, ttlMs)
  local active = redis.call('HGET', rb, 'active')
  if active and tonumber(active) > 0 then
    local seq = redis.call('HINCRBY', rb, 'seq', 1)
    redis.call('ZADD', t, seq, userId)
    redis.call('PEXPIRE', t, ttlMs)
  end
end
`;

/**
 * Upserts entries in order. KEYS z h rb t; ARGV ttlMs, then 5 values per entry: userId version
 * negScore member details. Returns {rank after, rank before} per entry, flattened (1-based; 0 before
 * when the board did not hold the player). An entry whose version is not newer is left as it is.
 */
const UPSERT_MANY_LUA = `${LUA_HELPERS}
local z, h, out = KEYS[1], KEYS[2], {}
for i = 2, #ARGV, 5 do
  local userId = ARGV[i]
  local old = redis.call('HGET', h, userId)
  local previous, unchanged = 0, false
  if old then
    local oldMember = memberOf(old, userId)
    local rank = redis.call('ZRANK', z, oldMember)
    if not rank then return redis.error_reply('SCOREBOARD_RANK_INDEX_CORRUPT ' .. userId) end
    previous = rank + 1
    if versionOf(old) >= tonumber(ARGV[i + 1]) then
      unchanged = true
    else
      redis.call('ZREM', z, oldMember)
    end
  end
  if unchanged then
    out[#out + 1] = previous
  else
    redis.call('ZADD', z, ARGV[i + 2], ARGV[i + 3])
    redis.call('HSET', h, userId, ARGV[i + 4])
    touch(KEYS[3], KEYS[4], userId, ARGV[1])
    out[#out + 1] = redis.call('ZRANK', z, ARGV[i + 3]) + 1
  end
  out[#out + 1] = previous
end
return out
`;

/** KEYS z h rb t; ARGV userId ttlMs. */
const REMOVE_LUA = `${LUA_HELPERS}
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then return 0 end
redis.call('ZREM', KEYS[1], memberOf(old, ARGV[1]))
redis.call('HDEL', KEYS[2], ARGV[1])
touch(KEYS[3], KEYS[4], ARGV[1], ARGV[2])
return 1
`;

/** KEYS z h; ARGV userId. Returns {rank, details} or nil. */
const RANK_OF_LUA = `${LUA_HELPERS}
local details = redis.call('HGET', KEYS[2], ARGV[1])
if not details then return false end
local rank = redis.call('ZRANK', KEYS[1], memberOf(details, ARGV[1]))
if not rank then return redis.error_reply('SCOREBOARD_RANK_INDEX_CORRUPT ' .. ARGV[1]) end
return {rank + 1, details}
`;

/**
 * Appends rank, details for each player named by ARGV[first..] to out ({0, ''} for one the board
 * does not hold); returns an error reply when the index is corrupt, nil otherwise.
 */
const RANKS_LUA_HELPER = `
local function appendRanks(z, h, first, out)
  if #ARGV < first then return nil end
  local stored = redis.call('HMGET', h, unpack(ARGV, first))
  for i = first, #ARGV do
    local details = stored[i - first + 1]
    if details then
      local rank = redis.call('ZRANK', z, memberOf(details, ARGV[i]))
      if not rank then return redis.error_reply('SCOREBOARD_RANK_INDEX_CORRUPT ' .. ARGV[i]) end
      out[#out + 1] = rank + 1
      out[#out + 1] = details
    else
      out[#out + 1] = 0
      out[#out + 1] = ''
    end
  end
  return nil
end
`;

/** KEYS z h; ARGV userId... Returns {rank, details} per player, {0, ''} for one the board does not hold. */
const RANKS_OF_LUA = `${LUA_HELPERS}${RANKS_LUA_HELPER}
local out = {}
local failed = appendRanks(KEYS[1], KEYS[2], 1, out)
if failed then return failed end
return out
`;

/** Appends the entries ranked start..stop (0-based) to out as userId, details pairs. */
const PAGE_LUA_HELPER = `
local function appendPage(z, h, start, stop, out)
  local members = redis.call('ZRANGE', z, start, stop)
  -- HMGET in slices: unpack() of thousands of values would overflow the Lua stack.
  for first = 1, #members, 1000 do
    local ids = {}
    for i = first, math.min(first + 999, #members) do
      ids[#ids + 1] = string.sub(members[i], 17)
    end
    local details = redis.call('HMGET', h, unpack(ids))
    for i = 1, #ids do
      if not details[i] then return redis.error_reply('SCOREBOARD_RANK_INDEX_CORRUPT ' .. ids[i]) end
      out[#out + 1] = ids[i]
      out[#out + 1] = details[i]
    end
  end
  return #members
end
`;

/** KEYS z h; ARGV start stop. Returns {userId, details, userId, details, ...}. */
const TOP_LUA = `${PAGE_LUA_HELPER}
local out = {}
local read = appendPage(KEYS[1], KEYS[2], ARGV[1], ARGV[2], out)
if type(read) == 'table' then return read end
return out
`;

/**
 * KEYS z h; ARGV mode (none, offset, after, around), offset or anchor userId, limit, then the
 * players asked for. The window's start follows `windowOffset` (rank-index.ts). Returns {total,
 * anchor rank (0 when not held), anchor details, page length, userId, details per page entry...,
 * rank (0 when not held), details per player...}.
 */
const VIEW_LUA = `${LUA_HELPERS}${RANKS_LUA_HELPER}${PAGE_LUA_HELPER}
local z, h = KEYS[1], KEYS[2]
local mode, limit = ARGV[1], tonumber(ARGV[3])
local total = redis.call('ZCARD', z)
local anchorRank, anchorDetails, offset = 0, '', nil
if mode == 'offset' then
  offset = tonumber(ARGV[2])
elseif mode ~= 'none' then
  local details = redis.call('HGET', h, ARGV[2])
  if details then
    local rank = redis.call('ZRANK', z, memberOf(details, ARGV[2]))
    if not rank then return redis.error_reply('SCOREBOARD_RANK_INDEX_CORRUPT ' .. ARGV[2]) end
    anchorRank, anchorDetails = rank + 1, details
    if mode == 'after' then
      offset = anchorRank
    else
      offset = math.max(0, math.min(anchorRank - 1 - math.floor((limit - 1) / 2), total - limit))
    end
  end
end
local out = {total, anchorRank, anchorDetails, 0}
if offset and limit > 0 then
  local read = appendPage(z, h, offset, offset + limit - 1, out)
  if type(read) == 'table' then return read end
  out[4] = read
end
local failed = appendRanks(z, h, 4, out)
if failed then return failed end
return out
`;

/** KEYS rb; ARGV epoch ttlMs. Returns {epoch, startSeq}; a rebuild already running keeps its epoch. */
const REBUILD_START_LUA = `
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'active', 1)
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {redis.call('HGET', KEYS[1], 'epoch'), seq}
`;

/**
 * KEYS tz th rb t; ARGV epoch ttlMs, then 5 values per entry: userId version negScore member details.
 * Version-checked like an upsert, so a player listed twice keeps the newer entry. One HMGET, ZREM,
 * ZADD and HSET per call rather than per entry: per-call overhead dominates Lua's cost. Returns how
 * many players were new to the temporary keys.
 */
const REBUILD_BATCH_LUA = `${LUA_HELPERS}
local tz, th, rb, t = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('HGET', rb, 'epoch') ~= ARGV[1] then
  return redis.error_reply('SCOREBOARD_REBUILD_EXPIRED the rebuild state expired; retry')
end
local ids = {}
for i = 3, #ARGV, 5 do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return 0 end
local stored = redis.call('HMGET', th, unpack(ids))
-- The winning argument index per player, and the member each one replaces.
local winner, order, replaced = {}, {}, {}
local added = 0
for n = 1, #ids do
  local userId, i = ids[n], 3 + (n - 1) * 5
  local previous = winner[userId]
  if previous then
    if tonumber(ARGV[previous + 1]) < tonumber(ARGV[i + 1]) then winner[userId] = i end
  elseif not stored[n] then
    added = added + 1
    winner[userId] = i
    order[#order + 1] = userId
  elseif versionOf(stored[n]) < tonumber(ARGV[i + 1]) then
    replaced[#replaced + 1] = memberOf(stored[n], userId)
    winner[userId] = i
    order[#order + 1] = userId
  end
end
if #replaced > 0 then redis.call('ZREM', tz, unpack(replaced)) end
if #order > 0 then
  local zargs, hargs = {}, {}
  for _, userId in ipairs(order) do
    local i = winner[userId]
    zargs[#zargs + 1] = ARGV[i + 2]
    zargs[#zargs + 1] = ARGV[i + 3]
    hargs[#hargs + 1] = userId
    hargs[#hargs + 1] = ARGV[i + 4]
  end
  redis.call('ZADD', tz, unpack(zargs))
  redis.call('HSET', th, unpack(hargs))
end
-- Temporary keys expire if this runner dies; the live keys get PERSIST when renamed.
redis.call('PEXPIRE', tz, ARGV[2])
redis.call('PEXPIRE', th, ARGV[2])
redis.call('PEXPIRE', rb, ARGV[2])
redis.call('PEXPIRE', t, ARGV[2])
return added
`;

/**
 * KEYS z h tz th rb t; ARGV epoch startSeq. Replays the players written to the live keys since the
 * rebuild started onto the temporary keys, then renames them over the live ones. Returns 1 when
 * swapped, 0 when dropped because a rebuild that started later was swapped in first.
 */
const REBUILD_FINISH_LUA = `${LUA_HELPERS}
local z, h, tz, th, rb, t = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
if redis.call('HGET', rb, 'epoch') ~= ARGV[1] then
  redis.call('UNLINK', tz, th)
  return redis.error_reply('SCOREBOARD_REBUILD_EXPIRED the rebuild state expired; retry')
end
local active = redis.call('HINCRBY', rb, 'active', -1)
local swapped = tonumber(redis.call('HGET', rb, 'swapped') or '0')
local applied = 0
if swapped < tonumber(ARGV[2]) then
  applied = 1
  local touched = redis.call('ZRANGEBYSCORE', t, '(' .. ARGV[2], '+inf')
  for _, userId in ipairs(touched) do
    local live = redis.call('HGET', h, userId)
    local built = redis.call('HGET', th, userId)
    if (not live) or (not built) or versionOf(live) > versionOf(built) then
      if built then
        redis.call('ZREM', tz, memberOf(built, userId))
        redis.call('HDEL', th, userId)
      end
      if live then
        redis.call('ZADD', tz, negScoreOf(live), memberOf(live, userId))
        redis.call('HSET', th, userId, live)
      end
    end
  end
  -- UNLINK frees the old sets in the background: a DEL, or a RENAME over them, of a board of a
  -- million entries would hold every client of this Redis for a second or more.
  if redis.call('EXISTS', tz) == 1 then
    redis.call('UNLINK', z, h)
    redis.call('RENAME', tz, z)
    redis.call('RENAME', th, h)
    redis.call('PERSIST', z)
    redis.call('PERSIST', h)
  else
    redis.call('UNLINK', z, h, th)
  end
  redis.call('HSET', rb, 'swapped', ARGV[2])
  -- Touches up to this start are only wanted by older rebuilds, which will now be dropped.
  redis.call('ZREMRANGEBYSCORE', t, '-inf', ARGV[2])
else
  redis.call('UNLINK', tz, th)
end
if active <= 0 then redis.call('UNLINK', rb, t) end
return applied
`;

/** KEYS tz th rb t; ARGV epoch. Drops a failed rebuild's temporary keys. */
const REBUILD_ABORT_LUA = `
redis.call('UNLINK', KEYS[1], KEYS[2])
if redis.call('HGET', KEYS[3], 'epoch') == ARGV[1] then
  if redis.call('HINCRBY', KEYS[3], 'active', -1) <= 0 then redis.call('UNLINK', KEYS[3], KEYS[4]) end
end
return 1
`;

type ScriptCall = (...keysAndArgs: string[]) => Promise<unknown>;

/** The commands `defineCommand` adds to the client (EVALSHA, falling back to EVAL once). */
interface RankScripts {
  scoreboardRankUpsertMany: ScriptCall;
  scoreboardRankRemove: ScriptCall;
  scoreboardRankOf: ScriptCall;
  scoreboardRanksOf: ScriptCall;
  scoreboardRankTop: ScriptCall;
  scoreboardRankView: ScriptCall;
  scoreboardRankRebuildStart: ScriptCall;
  scoreboardRankRebuildBatch: ScriptCall;
  scoreboardRankRebuildFinish: ScriptCall;
  scoreboardRankRebuildAbort: ScriptCall;
}

const SCRIPTS: Record<keyof RankScripts, { lua: string; numberOfKeys: number; readOnly?: boolean }> = {
  scoreboardRankUpsertMany: { lua: UPSERT_MANY_LUA, numberOfKeys: 4 },
  scoreboardRankRemove: { lua: REMOVE_LUA, numberOfKeys: 4 },
  scoreboardRankOf: { lua: RANK_OF_LUA, numberOfKeys: 2, readOnly: true },
  scoreboardRanksOf: { lua: RANKS_OF_LUA, numberOfKeys: 2, readOnly: true },
  scoreboardRankTop: { lua: TOP_LUA, numberOfKeys: 2, readOnly: true },
  scoreboardRankView: { lua: VIEW_LUA, numberOfKeys: 2, readOnly: true },
  scoreboardRankRebuildStart: { lua: REBUILD_START_LUA, numberOfKeys: 1 },
  scoreboardRankRebuildBatch: { lua: REBUILD_BATCH_LUA, numberOfKeys: 4 },
  scoreboardRankRebuildFinish: { lua: REBUILD_FINISH_LUA, numberOfKeys: 6 },
  scoreboardRankRebuildAbort: { lua: REBUILD_ABORT_LUA, numberOfKeys: 4 },
};

/**
 * Entries per rebuild script call: keeps each call (which blocks Redis) to a millisecond or two,
 * and its unpack() of 2 values per entry under Lua's stack limit (about 8000).
 */
const REBUILD_CHUNK = 500;

/** Players per ranksOf script call: under Lua's unpack() limit, and about a millisecond of Redis. */
const RANKS_OF_CHUNK = 1000;

export interface RedisRankIndexOptions {
  /** A client without ioredis' own `keyPrefix` option: this class prefixes its keys itself. */
  redis: Redis;
  /** Prepended to every key, e.g. `scoreboard:`. */
  keyPrefix: string;
  /**
   * How long a rebuild may go between two batches before its state expires (it then fails and its
   * temporary keys vanish); also bounds the leftovers of a process that died mid-rebuild.
   * @default 600000
   */
  rebuildTtlMs?: number;
}

interface BoardKeys {
  z: string;
  h: string;
  rb: string;
  t: string;
}

/**
 * The shared rank index: one sorted set and one hash per board, every write one Lua script, so
 * every instance of the service sees the same ranks.
 */
export class RedisRankIndex implements RankIndex {
  private readonly redis: Redis;
  private readonly scripts: RankScripts;
  private readonly keyPrefix: string;
  private readonly rebuildTtlMs: string;

  constructor(options: RedisRankIndexOptions) {
    for (const [name, definition] of Object.entries(SCRIPTS)) options.redis.defineCommand(name, definition);
    this.redis = options.redis;
    // defineCommand adds methods the Redis type cannot know about.
    this.scripts = options.redis as unknown as RankScripts;
    this.keyPrefix = options.keyPrefix;
    this.rebuildTtlMs = String(options.rebuildTtlMs ?? 600_000);
  }

  /** {@inheritDoc RankIndex.upsert} */
  async upsert(boardId: string, entry: RankEntry): Promise<RankChange> {
    const [change] = await this.upsertMany(boardId, [entry]);
    return change!;
  }

  /** {@inheritDoc RankIndex.upsertMany} */
  async upsertMany(boardId: string, entries: readonly RankEntry[]): Promise<RankChange[]> {
    if (entries.length === 0) return [];
    const keys = this.keys(boardId);
    const args: string[] = [this.rebuildTtlMs];
    // Every entry is encoded (and so checked) before anything is sent.
    for (const entry of entries) {
      const encoded = encodeEntry(entry);
      args.push(entry.userId, encoded.version, encoded.negScore, encoded.member, encoded.details);
    }
    const reply = (await this.scripts.scoreboardRankUpsertMany(keys.z, keys.h, keys.rb, keys.t, ...args)) as number[];
    const changes: RankChange[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const previous = Number(reply[i + 1]);
      changes.push({ rank: Number(reply[i]), previousRank: previous > 0 ? previous : null });
    }
    return changes;
  }

  /** {@inheritDoc RankIndex.remove} */
  async remove(boardId: string, userId: string): Promise<void> {
    const keys = this.keys(boardId);
    await this.scripts.scoreboardRankRemove(keys.z, keys.h, keys.rb, keys.t, userId, this.rebuildTtlMs);
  }

  /** {@inheritDoc RankIndex.rankOf} */
  async rankOf(boardId: string, userId: string): Promise<RankedEntry | null> {
    const keys = this.keys(boardId);
    const reply = await this.scripts.scoreboardRankOf(keys.z, keys.h, userId);
    if (reply === null) return null;
    const [rank, details] = reply as [number, string];
    return { ...decodeDetails(userId, details), rank };
  }

  /** {@inheritDoc RankIndex.ranksOf} */
  async ranksOf(boardId: string, userIds: readonly string[]): Promise<(RankedEntry | null)[]> {
    const keys = this.keys(boardId);
    const calls: Promise<unknown>[] = [];
    // Sent back to back on one connection: pipelined, each call short for Redis.
    for (let first = 0; first < userIds.length; first += RANKS_OF_CHUNK) {
      calls.push(this.scripts.scoreboardRanksOf(keys.z, keys.h, ...userIds.slice(first, first + RANKS_OF_CHUNK)));
    }
    const answers: (RankedEntry | null)[] = [];
    for (const reply of (await Promise.all(calls)) as (number | string)[][]) {
      for (let i = 0; i + 1 < reply.length; i += 2) {
        const rank = Number(reply[i]);
        const userId = userIds[answers.length] as string;
        answers.push(rank > 0 ? { ...decodeDetails(userId, reply[i + 1] as string), rank } : null);
      }
    }
    return answers;
  }

  /** {@inheritDoc RankIndex.top} */
  async top(boardId: string, offset: number, limit: number): Promise<RankedEntry[]> {
    assertPage(offset, limit);
    // ZRANGE 0 -1 would mean "everything", so an empty page never reaches Redis.
    if (limit === 0) return [];
    const keys = this.keys(boardId);
    const reply = (await this.scripts.scoreboardRankTop(keys.z, keys.h, String(offset), String(offset + limit - 1))) as string[];
    const page: RankedEntry[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      page.push({ ...decodeDetails(reply[i] as string, reply[i + 1] as string), rank: offset + i / 2 + 1 });
    }
    return page;
  }

  /** {@inheritDoc RankIndex.count} */
  async count(boardId: string): Promise<number> {
    return this.redis.zcard(this.keys(boardId).z);
  }

  /** {@inheritDoc RankIndex.view} */
  async view(boardId: string, window: RankWindow | null, players: readonly string[]): Promise<RankView> {
    assertView(window, players);
    const keys = this.keys(boardId);
    const mode = window?.from ?? 'none';
    const at = window === null ? '' : window.from === 'offset' ? String(window.offset) : window.userId;
    const limit = window && window.limit > 0 ? window.limit : 0;
    const reply = (await this.scripts.scoreboardRankView(keys.z, keys.h, mode, at, String(limit), ...players)) as (number | string)[];
    const anchorRank = Number(reply[1]);
    const view: RankView = {
      total: Number(reply[0]),
      anchor: anchorRank > 0 && window && window.from !== 'offset' ? { ...decodeDetails(window.userId, reply[2] as string), rank: anchorRank } : null,
      page: [],
      players: [],
    };
    // The script placed the window by the same rule, on the same total.
    const offset = window ? (windowOffset(window, anchorRank > 0 ? anchorRank : null, view.total) ?? 0) : 0;
    const pageEnd = 4 + 2 * Number(reply[3]);
    for (let i = 4; i < pageEnd; i += 2) {
      view.page.push({ ...decodeDetails(reply[i] as string, reply[i + 1] as string), rank: offset + (i - 4) / 2 + 1 });
    }
    for (let i = pageEnd, n = 0; i + 1 < reply.length; i += 2, n += 1) {
      const rank = Number(reply[i]);
      view.players.push(rank > 0 ? { ...decodeDetails(players[n]!, reply[i + 1] as string), rank } : null);
    }
    return view;
  }

  /**
   * Writes the batches into temporary keys of the same slot (readers keep the live keys), then one
   * script replays onto them the players written live meanwhile (newer version wins, removals
   * stick) and renames them over the live keys. If a rebuild of the same board that started later
   * has already been swapped in, this one is dropped. On failure the temporary keys are deleted.
   * Duplicate user ids in the batches resolve like upserts. Returns the distinct players read.
   */
  async replaceAll(boardId: string, batches: AsyncIterable<RankEntry[]>): Promise<number> {
    const keys = this.keys(boardId);
    const base = this.boardBase(boardId);
    const token = randomBytes(8).toString('hex');
    const tz = `${base}:rebuild:${token}:z`;
    const th = `${base}:rebuild:${token}:h`;
    const started = (await this.scripts.scoreboardRankRebuildStart(keys.rb, token, this.rebuildTtlMs)) as [string, number];
    const epoch = started[0];
    const startSeq = String(started[1]);
    try {
      let written = 0;
      for await (const batch of batches) {
        const calls: Promise<unknown>[] = [];
        for (let first = 0; first < batch.length; first += REBUILD_CHUNK) {
          const args: string[] = [tz, th, keys.rb, keys.t, epoch, this.rebuildTtlMs];
          for (const entry of batch.slice(first, first + REBUILD_CHUNK)) {
            const encoded = encodeEntry(entry);
            args.push(entry.userId, encoded.version, encoded.negScore, encoded.member, encoded.details);
          }
          // Sent back to back on one connection: pipelined, and applied in order.
          calls.push(this.scripts.scoreboardRankRebuildBatch(...args));
        }
        for (const added of await Promise.all(calls)) written += Number(added);
      }
      await this.scripts.scoreboardRankRebuildFinish(keys.z, keys.h, tz, th, keys.rb, keys.t, epoch, startSeq);
      return written;
    } catch (error) {
      await this.scripts.scoreboardRankRebuildAbort(tz, th, keys.rb, keys.t, epoch).catch(() => undefined);
      throw error;
    }
  }

  private boardBase(boardId: string): string {
    // An empty tag `{}` would hash whole key names (spreading a board over slots), and a brace
    // inside would cut the tag short; board ids are ours, so refuse rather than escape.
    if (boardId.length === 0 || /[{}]/.test(boardId)) throw new RangeError('boardId must be non-empty and contain no braces');
    return `${this.keyPrefix}lb:{${boardId}}`;
  }

  private keys(boardId: string): BoardKeys {
    const base = this.boardBase(boardId);
    return { z: `${base}:z`, h: `${base}:h`, rb: `${base}:rb`, t: `${base}:t` };
  }
}

interface EncodedEntry {
  version: string;
  negScore: string;
  member: string;
  details: string;
}

function encodeEntry(entry: RankEntry): EncodedEntry {
  assertRankEntry(entry);
  // Safe integers print as plain digits (no exponent), so these strings are exact.
  const score = String(entry.score);
  const time = String(entry.lastUpdatedMs).padStart(15, '0');
  const username = entry.username === null ? '' : `|${entry.username}`;
  return {
    version: String(entry.version),
    // '-0' would be stored as the double -0: equal to 0, but printed differently.
    negScore: entry.score === 0 ? '0' : entry.score < 0 ? score.slice(1) : `-${score}`,
    member: `${time}:${entry.userId}`,
    details: `${entry.version}|${score}|${time}${username}`,
  };
}

function decodeDetails(userId: string, details: string): RankEntry {
  const afterVersion = details.indexOf('|');
  const afterScore = details.indexOf('|', afterVersion + 1);
  const afterTime = details.indexOf('|', afterScore + 1);
  return {
    userId,
    username: afterTime === -1 ? null : details.slice(afterTime + 1),
    score: Number(details.slice(afterVersion + 1, afterScore)),
    lastUpdatedMs: Number(details.slice(afterScore + 1, afterTime === -1 ? undefined : afterTime)),
    version: Number(details.slice(0, afterVersion)),
  };
}
