// More than a thousand deterministic (seeded) malformed requests against the board routes, in both
// run modes: submissions, reads with bad ids, periods, cursors and queries, and bad admin requests.
// Every one must be a 4xx with the error envelope (never a 5xx), none may change an entry, a board
// or the history, and the boards must still take a valid submission afterwards.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signSubmission } from '../../src/boards/board-signature.js';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, TEST_HMAC_KEY, type TestApp } from '../helpers/app.js';
import { envelopeViolation } from '../helpers/design.js';
import { prng } from '../helpers/random.js';

const SEED = 0xb0a2d5;
const PLAYER = 'hostile-boarder';

interface Hostile {
  family: string;
  label: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

const INJECTIONS = ["'; DROP TABLE board_entries; --", '{"$gt": ""}', '<script>alert(1)</script>', '../../etc/passwd', '" OR "1"="1', '${jndi:ldap://x/a}', "admin' --"];
const UNICODE = ['🏆🎮', '\u202eDRAOB', '\u0000', 'arena\u0000', 'e\u0301\u0301', '\ufeffarena', 'ar\u200dena', 'ＡＲＥＮＡ', 'Z̸̡a̴l̷g̶o̵', 'ARENA'];
const WRONG_TYPES: unknown[] = [null, true, false, 0, -1, 1.5, [], ['x'], {}, { a: 1 }, ''];
const HUGE_LITERALS = ['1e308', '-1e308', '9007199254740993', '1' + '0'.repeat(400), '1E400', '1e-400', '12.5', '0.' + '0'.repeat(300) + '1'];
const NAN_LITERALS = ['NaN', 'Infinity', '-Infinity', '0x10', '010', '+10', '.5', 'undefined'];
const BAD_IDS = [...INJECTIONS, ...UNICODE, 'x'.repeat(300), 'Arena', '-arena', 'a b', 'a/b', '..', '%', '%zz', '%c0%af'];

/** The arena board takes direct submissions between 0 and 1000. */
const ARENA = { id: 'arena', operator: 'best', minScore: 0, maxScore: 1000 };

type Body = Record<string, unknown>;

function sign(boardId: string, body: Body): string {
  return signSubmission(TEST_HMAC_KEY, { actionId: String(body.actionId), boardId, score: body.score as number, timestamp: String(body.timestamp) });
}

/** Builds every hostile request from the seed. */
function generate(t: TestApp, cursors: { arena: string; other: string }, seed: number): Hostile[] {
  const rng = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  const auth = { authorization: `Bearer ${t.token(PLAYER)}` };
  const admin = { authorization: `Bearer ${t.token('root', { role: 'admin' })}` };
  const json = { 'content-type': 'application/json' };
  const out: Hostile[] = [];
  const add = (family: string, label: string, method: Hostile['method'], url: string, headers: Record<string, string>, payload?: string) =>
    out.push({ family, label, method, url, headers, ...(payload === undefined ? {} : { payload }) });
  const valid = (boardId = 'arena'): Body => {
    const body: Body = { actionId: randomUUID(), score: Math.floor(rng() * 1000), timestamp: new Date().toISOString() };
    return { ...body, clientSignature: sign(boardId, body) };
  };
  const submit = (family: string, label: string, payload: string, boardId = 'arena', headers: Record<string, string> = { ...auth, ...json }) =>
    add(family, label, 'POST', `/api/v1/boards/${boardId}/scores`, headers, payload);

  for (const field of ['actionId', 'score', 'timestamp', 'clientSignature']) {
    for (const value of [...WRONG_TYPES, ...INJECTIONS, ...UNICODE]) {
      if (field === 'score' && value === 0) continue; // within [minScore, maxScore]: a valid score
      const body = { ...valid(), [field]: value };
      submit('submission', `${field}=${JSON.stringify(value)}`, JSON.stringify(field === 'clientSignature' ? body : { ...body, clientSignature: sign('arena', body) }));
    }
    const missing = valid();
    delete missing[field];
    submit('submission', `no ${field}`, JSON.stringify(missing));
  }
  for (const literal of [...HUGE_LITERALS, ...NAN_LITERALS]) {
    const body = valid();
    submit('submission', `score literal ${literal.slice(0, 20)}`, JSON.stringify(body).replace(/"score":-?\d+/, `"score":${literal}`));
  }
  for (const score of [-1, 1001, 1e15, 2 ** 53, -(2 ** 53), 999.5]) {
    const body: Body = { ...valid(), score };
    submit('submission', `score ${score}`, JSON.stringify({ ...body, clientSignature: sign('arena', body) }));
  }
  for (const extra of ['"boardId":"arena"', '"userId":"someone"', '"__proto__":{"admin":true}', '"constructor":{"prototype":{"polluted":1}}', '"scoreIncrement":5']) {
    submit('submission', `extra ${extra}`, JSON.stringify(valid()).replace(/^\{/, `{${extra},`));
  }
  for (const raw of ['', '{', '[]', 'null', '"x"', '{"actionId":', '{"a":1}}', '\u0000', '{"score":1,"score":2}', 'x'.repeat(17_000)]) submit('bad-json', `body ${JSON.stringify(raw.slice(0, 20))}`, raw);
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) submit('bad-json', `content-type ${type}`, JSON.stringify(valid()), 'arena', { ...auth, 'content-type': type });
  submit('auth', 'no token', JSON.stringify(valid()), 'arena', json);
  submit('auth', 'bad token', JSON.stringify(valid()), 'arena', { authorization: 'Bearer x.y.z', ...json });
  // Signed for another board, another score or another time: the signature does not hold.
  for (let i = 0; i < 300; i++) {
    const body = valid();
    const kind = i % 4;
    if (kind === 0) body.clientSignature = sign('arena2', body);
    else if (kind === 1) body.score = ((body.score as number) + 1 + Math.floor(rng() * 50)) % 1000;
    else if (kind === 2) body.clientSignature = String(body.clientSignature).replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    else body.timestamp = new Date(Date.parse(String(body.timestamp)) - 1 - Math.floor(rng() * 1000)).toISOString();
    submit('signature', `mutation ${i} kind ${kind}`, JSON.stringify(body));
  }
  submit('refused-board', 'global takes no submissions', JSON.stringify(valid('global')), 'global');
  submit('refused-board', 'an action board takes no submissions', JSON.stringify(valid('weekly')), 'weekly');
  submit('refused-board', 'unknown board', JSON.stringify(valid('nowhere')), 'nowhere');

  for (const id of BAD_IDS) {
    const encoded = /^%/.test(id) ? id : encodeURIComponent(id);
    for (const suffix of ['', '/entries', `/entries/${PLAYER}`, `/entries/${PLAYER}/around`, '/periods']) add('path', `board ${id.slice(0, 20)}${suffix}`, 'GET', `/api/v1/boards/${encoded}${suffix}`, {});
    submit('path', `submit to ${id.slice(0, 20)}`, JSON.stringify(valid()), encoded);
    for (const suffix of ['', '/around']) add('path', `user ${id.slice(0, 20)}${suffix}`, 'GET', `/api/v1/boards/arena/entries/${encoded}x${suffix}`, {});
  }

  const query = (label: string, path: string, params: string) => add('query', label, 'GET', `/api/v1/boards/arena${path}?${params}`, {});
  for (const limit of ['0', '101', '-1', 'x', '1e400', '1.5', '', '%00', '10&limit=20']) {
    for (const path of ['/entries', `/entries/${PLAYER}/around`, '/periods']) query(`limit ${limit} ${path}`, path, `limit=${limit}`);
  }
  for (const period of ['yesterday', '2026-13-01T00:00:00.000Z', '2026-01-01', '2026-01-01T00:00:00Z', 'CURRENT', ' current', ...INJECTIONS, '2020-01-01T00:00:00.000Z', 'previous']) {
    for (const path of ['/entries', `/entries/${PLAYER}`, `/entries/${PLAYER}/around`]) query(`period ${period.slice(0, 20)} ${path}`, path, `period=${encodeURIComponent(period)}`);
  }
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (let i = 0; i < 80; i++) {
    const garbage = Array.from({ length: 1 + Math.floor(rng() * 120) }, () => pick([...alphabet])).join('');
    query(`cursor garbage ${i}`, '/entries', `cursor=${garbage}`);
  }
  for (let i = 0; i < cursors.arena.length; i += Math.max(1, Math.floor(cursors.arena.length / 60))) {
    const flipped = cursors.arena.slice(0, i) + (cursors.arena[i] === 'A' ? 'B' : 'A') + cursors.arena.slice(i + 1);
    query(`cursor flipped at ${i}`, '/entries', `cursor=${encodeURIComponent(flipped)}`);
  }
  query('cursor of another board', '/entries', `cursor=${encodeURIComponent(cursors.other)}`);
  query('cursor cut short', '/entries', `cursor=${encodeURIComponent(cursors.arena.slice(0, -3))}`);
  query('cursor too long', '/entries', `cursor=${'A'.repeat(3000)}`);
  query('cursor with friends', '/entries', `cursor=${encodeURIComponent(cursors.arena)}&userId=${PLAYER}`);
  query('101 friends', '/entries', Array.from({ length: 101 }, (_, i) => `userId=f${i}`).join('&'));
  query('an empty friend', '/entries', 'userId=');
  query('a friend too long', '/entries', `userId=${'u'.repeat(256)}`);
  query('a friend with a control character', '/entries', `userId=${encodeURIComponent('a\u0001b')}`);
  query('periods cursor garbage', '/periods', 'cursor=zzz');

  const createBoard = (label: string, definition: unknown) => add('admin', label, 'POST', '/api/v1/admin/boards', { ...admin, ...json }, JSON.stringify(definition));
  const badValues: Record<string, unknown[]> = {
    id: ['Bad', '', 'a'.repeat(65), 'global', 'a b', '-x', 5, null, ...INJECTIONS],
    title: [5, null, [], {}, 'x'.repeat(1000)],
    operator: ['max', '', 5, null, 'BEST'],
    sortOrder: ['up', 'DESC', 5, null],
    reset: ['sometimes', '* * *', '61 * * * *', '* * * * * * *', 5, 'DAILY'],
    timezone: ['Mars/Olympus', 'UTC+25', 5, '', '../etc'],
    minScore: ['0', 1.5, 1e300, null, [], -(2 ** 60)],
    maxScore: ['10', 2.5, 1e300, {}, 2 ** 60],
    startsAt: ['tomorrow', 5, '2026-02-30T00:00:00Z'],
    endsAt: ['never', 5, '2026-13-01T00:00:00Z'],
    keepPeriods: [-1, 1.5, '3', 1e9, true],
    actions: ['TASK_COMPLETE', [5], ['NO_SUCH_ACTION'], [null]],
    metadata: ['x', 5, [], { big: 'x'.repeat(20_000) }],
    unknown: [1],
  };
  let n = 0;
  for (const [field, values] of Object.entries(badValues)) {
    for (const value of values) createBoard(`create ${field}=${JSON.stringify(value).slice(0, 20)}`, { id: field === 'id' ? value : `hostile-${n++}`, [field]: value });
  }
  createBoard('minScore above maxScore', { id: 'hostile-range', minScore: 10, maxScore: 5 });
  createBoard('endsAt before startsAt', { id: 'hostile-dates', startsAt: '2027-01-01T00:00:00Z', endsAt: '2026-01-01T00:00:00Z' });
  createBoard('actions on a best board', { id: 'hostile-best', operator: 'best', actions: ['TASK_COMPLETE'] });
  createBoard('taken id', { id: 'arena' });
  createBoard('not admin', { id: 'hostile-player-made' });
  out[out.length - 1]!.headers = { ...auth, ...json };
  for (const [field, value] of [['id', 'arena3'], ['sortOrder', 'asc'], ['operator', 'latest'], ['reset', 'daily'], ['timezone', 'Europe/Berlin'], ['keepPeriods', -2], ['maxScore', 'x']] as const) {
    add('admin', `patch ${field}`, 'PATCH', '/api/v1/admin/boards/arena', { ...admin, ...json }, JSON.stringify({ [field]: value }));
  }
  add('admin', 'patch global', 'PATCH', '/api/v1/admin/boards/global', { ...admin, ...json }, JSON.stringify({ title: 'Mine' }));
  add('admin', 'delete global', 'DELETE', '/api/v1/admin/boards/global', admin);
  add('admin', 'delete unknown', 'DELETE', '/api/v1/admin/boards/nowhere', admin);
  add('admin', 'delete as a player', 'DELETE', '/api/v1/admin/boards/arena', auth);
  add('admin', 'delete an entry nobody has', 'DELETE', '/api/v1/admin/boards/arena/entries/nobody', admin);
  add('admin', 'delete an entry in a malformed period', 'DELETE', `/api/v1/admin/boards/arena/entries/${PLAYER}?period=soon`, admin);
  for (const id of BAD_IDS.slice(0, 12)) add('admin', `delete entry of ${id.slice(0, 20)}`, 'DELETE', `/api/v1/admin/boards/arena/entries/${encodeURIComponent(id)}x`, admin);
  return out;
}

async function storedState(t: TestApp) {
  const entries = await t.backends.sql.query(`SELECT board_id, period_id, user_id, score::text AS score, last_updated FROM board_entries ORDER BY 1, 2, 3`);
  const boards = await t.backends.sql.query(`SELECT * FROM boards ORDER BY id`);
  const [history] = await t.backends.sql.query(`SELECT count(*)::int AS n FROM score_history`);
  return JSON.parse(JSON.stringify({ entries, boards, history: history?.n }));
}

for (const { mode, skip } of MODES) {
  describe(`hostile input to the boards (${mode})`, { skip }, () => {
    let t: TestApp;
    let requests: Hostile[] = [];
    let baseline: unknown;

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
      const admin = { authorization: `Bearer ${t.token('root', { role: 'admin' })}` };
      for (const definition of [ARENA, { id: 'arena2', operator: 'best' }, { id: 'weekly', reset: 'weekly', actions: ['TASK_COMPLETE'] }]) {
        const created = await t.app.inject({ method: 'POST', url: '/api/v1/admin/boards', headers: admin, payload: definition });
        assert.equal(created.statusCode, 201, created.body);
      }
      for (const [user, boardId, score] of [[PLAYER, 'arena', 500], ['ann', 'arena', 700], ['ben', 'arena', 300], ['ann', 'arena2', 5], ['ben', 'arena2', 6]] as const) {
        const body: Body = { actionId: randomUUID(), score, timestamp: new Date().toISOString() };
        const answer = await t.app.inject({ method: 'POST', url: `/api/v1/boards/${boardId}/scores`, headers: { authorization: `Bearer ${t.token(user)}` }, payload: { ...body, clientSignature: sign(boardId, body) } });
        assert.equal(answer.statusCode, 200, answer.body);
      }
      assert.equal((await t.post(PLAYER, t.body({ scoreIncrement: 4 }))).statusCode, 200);
      const cursorOf = async (boardId: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/boards/${boardId}/entries?limit=1` })).json().data.nextCursor as string;
      const cursors = { arena: await cursorOf('arena'), other: await cursorOf('arena2') };
      assert.ok(cursors.arena && cursors.other);
      baseline = await storedState(t);
      requests = generate(t, cursors, SEED);
    });
    after(async () => t?.close());

    it('sends more than 1,000 requests, each refused with the envelope and its code, none a 5xx', async () => {
      assert.ok(requests.length >= 1000, `only ${requests.length} requests`);
      const problems: string[] = [];
      const statuses = new Map<string, number>();
      for (const request of requests) {
        const res = await t.app.inject({ method: request.method, url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) });
        const key = `${res.statusCode} ${res.statusCode >= 400 && String(res.headers['content-type']).includes('json') ? String(res.json().error?.code) : ''}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        const problem = envelopeViolation(res);
        if (problem) problems.push(`[${request.family}] ${request.method} ${request.label}: ${problem}: ${res.body.slice(0, 160)}`);
      }
      console.log(`boards hostile input (${mode}): ${requests.length} requests; ${[...statuses].sort().map(([k, v]) => `${k}x${v}`).join(', ')}`);
      assert.deepEqual(problems, [], `${problems.length} of ${requests.length} were not refused properly:\n${problems.slice(0, 40).join('\n')}`);
    });

    it('changed no entry, board or history row, polluted no prototype, and still takes a valid submission', async () => {
      assert.deepEqual(await storedState(t), baseline);
      const probe: Record<string, unknown> = {};
      assert.equal(probe.admin, undefined);
      assert.equal(probe.polluted, undefined);
      const body: Body = { actionId: randomUUID(), score: 900, timestamp: new Date().toISOString() };
      const answer = await t.app.inject({ method: 'POST', url: '/api/v1/boards/arena/scores', headers: { authorization: `Bearer ${t.token(PLAYER)}` }, payload: { ...body, clientSignature: sign('arena', body) } });
      assert.equal(answer.statusCode, 200, answer.body);
      assert.deepEqual([answer.json().data.score, answer.json().data.rank], [900, 1]);
    });
  });
}
