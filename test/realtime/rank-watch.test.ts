import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, type TestApp } from '../helpers/app.js';
import { connected, openSocket, sleep, type RecordingSocket } from '../helpers/sockets.js';

const GLOBAL = { boardId: 'global', period: { id: 'all', startsAt: null, endsAt: null } };

for (const { mode, skip } of MODES) {
  describe(`rank:changed when others move a player's rank (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    const sockets: RecordingSocket[] = [];
    const open = async (auth: Record<string, unknown> = {}) => {
      const recording = openSocket(url, auth);
      sockets.push(recording);
      await connected(recording);
      return recording;
    };
    const rankEvents = (recording: RecordingSocket) => recording.events.filter((event) => event.name === 'rank:changed').map((event) => event.payload);

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), RANK_WATCH_INTERVAL_MS: '200' });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(async () => {
      for (const recording of sockets) recording.close();
      await t.close();
    });

    it('tells a signed-in player who is overtaken, within 5 s, with the design payload', async () => {
      assert.equal((await t.post('ann', t.body({ scoreIncrement: 30 }))).statusCode, 200);
      const ann = await open({ token: t.token('ann') });
      // The watcher first learns ann's rank (1) without telling her anything.
      await sleep(500);
      assert.equal((await t.post('ben', t.body({ scoreIncrement: 20 }))).statusCode, 200);
      assert.equal((await t.post('ben', t.body({ scoreIncrement: 20 }))).statusCode, 200);
      const started = Date.now();
      const moved = await ann.next('rank:changed', (p) => p.userId === 'ann', 5000);
      assert.ok(Date.now() - started < 5000);
      assert.deepEqual(moved, { userId: 'ann', newRank: 2, oldRank: 1, newScore: 30, ...GLOBAL });
      await sleep(600);
      assert.equal(rankEvents(ann).length, 1, 'one event per move, not one per tick');
    });

    it('tells a player signed in with the authenticate event, and a legacy player in its own event', async () => {
      await t.post('cat', t.body({ scoreIncrement: 10 }));
      await t.post('dan', t.body({ scoreIncrement: 5 }));
      const cat = await open();
      assert.deepEqual(await cat.socket.timeout(2000).emitWithAck('authenticate', { token: t.token('cat') }), { ok: true, userId: 'cat' });
      const dan = await open({ token: t.token('dan'), protocol: 'legacy' });
      await sleep(500);
      await t.post('eve', t.body({ scoreIncrement: 45 }));
      const moved = await cat.next('rank:changed', (p) => p.userId === 'cat');
      assert.equal(moved.oldRank + 1, moved.newRank);
      assert.equal(moved.newScore, 10);
      const legacy = await dan.next('user_position_changed', (p) => p.userId === 'dan');
      assert.equal(legacy.event, 'user_position_changed');
      assert.equal(legacy.newScore, 5);
      assert.equal(typeof legacy.newRank, 'number');
      assert.ok(!dan.names().includes('rank:changed'), 'a legacy socket gets only legacy events');
    });

    it("sends no second event for a move the player's own update already told", async () => {
      await t.post('fay', t.body({ scoreIncrement: 1 }));
      const fay = await open({ token: t.token('fay') });
      await sleep(500);
      const before = rankEvents(fay).length;
      await t.post('fay', t.body({ scoreIncrement: 200, actionType: 'ACHIEVEMENT' }));
      const own = await fay.next('rank:changed', (p) => p.newRank === 1);
      assert.equal(own.newScore, 201);
      await sleep(800);
      assert.equal(rankEvents(fay).length, before + 1, 'the watcher saw the same rank and said nothing');
    });

    it('tells nobody about players without a socket, and stops with the socket', async () => {
      await t.post('gus', t.body({ scoreIncrement: 2 }));
      const gus = await open({ token: t.token('gus') });
      await sleep(500);
      gus.close();
      await sleep(300);
      await t.post('hal', t.body({ scoreIncrement: 150, actionType: 'ACHIEVEMENT' }));
      await sleep(800);
      assert.equal(rankEvents(gus).length, 0);
    });
  });
}
