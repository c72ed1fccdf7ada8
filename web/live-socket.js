// The live page's live path: the official Socket.IO client from /socket.io/socket.io.min.js.
// `leaderboard:update` {leaderboard, timestamp, seq} for the global board and, for another board's
// current period, `board:subscribe` {boardId} (ack {ok, period}) then `board:update` {boardId, period,
// leaderboard, timestamp, seq} (a gap in seq → refetch over REST; a new period → the table starts
// over). For a player who opened the page with `#token=...`: `score:updated` and `rank:changed` for
// themselves. `ScoreboardLive.live`.
(() => {
  'use strict';

  const L = window.ScoreboardLive;
  const { state: S } = L;
  const { GLOBAL, REQUEST_TIMEOUT_MS } = L.consts;
  const { isGlobalView, isBoardLive, isPastView, setPrivate } = L.view;

  const CLIENT_SRC = '/socket.io/socket.io.min.js';
  /** How long the server may take to acknowledge `board:subscribe` before the board is polled. */
  const SUBSCRIBE_TIMEOUT_MS = 4000;
  /** After an unacknowledged subscription, when to ask again (a server that gained it since). */
  const SUBSCRIBE_RETRY_MS = 30000;
  const ERRORS_BEFORE_POLLING = 2;
  const CLIENT_RETRY_MS = [5000, 15000, 30000, 60000];

  /** For the cases where socket.io-client does not retry by itself (refused by the server). */
  const reconnect = Scoreboard.reconnector(() => S.socket);
  const seqs = { global: null };

  /** The subscription's answer: live, or polled meanwhile (and, unless the refusal is final, asked again later). */
  function subscribed(generation, error, ack) {
    const { sub, view } = S;
    if (generation !== sub.generation) return;
    if (!error && ack && ack.ok === true) {
      sub.state = 'ok';
      if (ack.period && typeof ack.period.id === 'string' && view.board && view.board.period && ack.period.id !== view.board.period.id) {
        L.boards.startPeriod(ack.period);
        void L.rest.fetchView();
      }
    } else {
      sub.state = 'failed';
      const code = ack && ack.error && ack.error.code;
      if (error || !['UNAUTHORIZED', 'INVALID_REQUEST'].includes(code)) {
        // No answer (a server without board events yet, or busy), or a refusal that may pass (a board
        // this instance does not know yet, SERVICE_UNAVAILABLE): polled meanwhile, asked again later.
        sub.retryTimer = setTimeout(() => {
          if (generation === sub.generation && S.socket && S.socket.connected) subscribeBoard();
        }, SUBSCRIBE_RETRY_MS);
      }
    }
    L.poll.sync();
    L.status.update();
  }

  /**
   * Subscribes the socket to the board shown (its current period). The board is live once the server
   * acks ok; an error ack, or none within SUBSCRIBE_TIMEOUT_MS (a server without board events), leaves
   * it to the poller, and, unless the refusal is final (private board, bad request), it is asked again later.
   */
  function subscribeBoard() {
    const { sub, socket } = S;
    clearTimeout(sub.retryTimer);
    if (!isBoardLive() || !socket || !socket.connected) return;
    const boardId = S.view.boardId;
    sub.generation += 1;
    const generation = sub.generation;
    sub.boardId = boardId;
    sub.state = 'pending';
    sub.seq = null;
    socket.timeout(SUBSCRIBE_TIMEOUT_MS).emit('board:subscribe', { boardId }, (error, ack) => subscribed(generation, error, ack));
    L.poll.sync();
    L.status.update();
  }

  function unsubscribeBoard() {
    const { sub, socket } = S;
    clearTimeout(sub.retryTimer);
    if (sub.boardId && sub.state !== 'none' && socket && socket.connected) socket.emit('board:unsubscribe', { boardId: sub.boardId }, () => {});
    sub.generation += 1;
    sub.boardId = null;
    sub.state = 'none';
    sub.seq = null;
  }

  let clientRetries = 0;
  async function connect() {
    if (await Scoreboard.loadClient(CLIENT_SRC)) {
      startSocket();
      return;
    }
    // No client script (server without Socket.IO, blocked by a proxy, …): poll, and try again later.
    L.poll.start();
    const delay = CLIENT_RETRY_MS[Math.min(clientRetries, CLIENT_RETRY_MS.length - 1)];
    clientRetries += 1;
    setTimeout(() => void connect(), delay);
  }

  /**
   * The server answers again (a poll succeeded after failing): try the socket now rather than at
   * the end of its back-off. disconnect() first, so the manager drops its pending attempt and
   * back-off state (connect() alone during a back-off wait would leave it stuck).
   */
  function retryNow() {
    const { socket } = S;
    if (!socket || socket.connected) return;
    reconnect.cancel();
    socket.disconnect().connect();
  }

  /** Applies one broadcast's sequence number: 'repeat' (already shown), 'gap' (some were missed) or 'next'. */
  function sequence(holder, key, payload) {
    const seq = Number(payload.seq);
    const known = Number.isInteger(seq);
    if (known && holder[key] !== null && seq === holder[key]) return 'repeat';
    const gap = known && holder[key] !== null && seq !== holder[key] + 1;
    holder[key] = known ? seq : null;
    return gap ? 'gap' : 'next';
  }

  function onConnect() {
    const { conn, socket } = S;
    const reconnected = conn.everLive;
    conn.live = true;
    conn.everLive = true;
    conn.attempt = 0;
    conn.connectErrors = 0;
    reconnect.reset();
    if (!socket.recovered) {
      seqs.global = null;
      // Events sent while this socket was away are lost: read the player's standing again.
      if (reconnected) L.player.refresh();
    }
    conn.transport = Scoreboard.transportName(socket);
    const engine = socket.io.engine;
    if (engine && !engine.__scoreboardWatched) {
      engine.__scoreboardWatched = true;
      engine.on('upgrade', () => {
        conn.transport = Scoreboard.transportName(socket);
        L.status.update();
      });
    }
    L.poll.stop();
    // A new session holds no board: subscribe again (a no-op for a recovered one that kept it).
    if (isBoardLive()) {
      subscribeBoard();
      if (reconnected && !socket.recovered) void L.rest.fetchView();
    }
    L.status.update();
  }

  function onDisconnect(reason) {
    const { sub } = S;
    S.conn.live = false;
    clearTimeout(sub.retryTimer);
    if (sub.state !== 'none') {
      sub.generation += 1;
      sub.state = 'none';
    }
    L.poll.sync();
    L.status.update();
    // The server closed the socket on purpose: socket.io-client does not reconnect by itself.
    if (reason === 'io server disconnect') reconnect.later();
  }

  function onConnectError(error) {
    const { conn, socket } = S;
    conn.live = false;
    conn.connectErrors += 1;
    const message = error && error.message;
    if (!socket.active) {
      // Refused by the server's middleware.
      if (message === 'UNAUTHORIZED' && S.token) {
        L.player.forget('Your player link was not accepted (expired or invalid); showing the public leaderboard.');
        socket.connect();
        return;
      }
      L.poll.start();
      reconnect.later();
    } else if (conn.connectErrors >= ERRORS_BEFORE_POLLING) {
      L.poll.start();
    }
    L.status.update();
  }

  function onLeaderboardUpdate(payload) {
    if (!payload || !Array.isArray(payload.leaderboard)) return;
    const step = sequence(seqs, 'global', payload);
    if (step === 'repeat' || !isGlobalView()) return;
    S.liveVersion += 1;
    if (S.isPrivate) setPrivate(false);
    L.table.render(payload.leaderboard, payload.timestamp);
    L.player.scheduleAround();
    // Missed broadcasts: the payload is the latest top 10, but reconcile with the source of truth.
    if (step === 'gap') void L.rest.fetchTop();
  }

  function onBoardUpdate(payload) {
    const { sub } = S;
    if (!payload || !Array.isArray(payload.leaderboard) || payload.boardId !== S.view.boardId) return;
    if (!isBoardLive() || sub.boardId !== payload.boardId || sub.state === 'none') return;
    const step = sequence(sub, 'seq', payload);
    if (step === 'repeat') return;
    S.liveVersion += 1;
    if (S.isPrivate) setPrivate(false);
    // A period ended: the server names the new one, and the table starts over in it.
    if (payload.period && typeof payload.period.id === 'string') L.boards.startPeriod(payload.period);
    L.table.render(payload.leaderboard, payload.timestamp);
    L.player.scheduleAround();
    if (step === 'gap') void L.rest.fetchView();
  }

  function onScoreUpdated(payload) {
    const { me } = S;
    if (!payload || !isGlobalView() || (me && me.userId && payload.userId !== me.userId)) return;
    S.meVersion += 1;
    L.player.update({ userId: payload.userId, score: Number(payload.newScore), gain: Number(payload.increment) });
  }

  function onRankChanged(payload) {
    const { me, view } = S;
    if (!payload || (me && me.userId && payload.userId !== me.userId)) return;
    // One event per board the player moved on (`boardId` absent from servers before boards: global).
    const boardId = typeof payload.boardId === 'string' ? payload.boardId : GLOBAL;
    if (boardId !== view.boardId || isPastView()) return;
    if (payload.period && view.shown && payload.period.id && payload.period.id !== view.shown.id && !isGlobalView()) return;
    S.meVersion += 1;
    L.player.update({ userId: payload.userId, rank: Number(payload.newRank), score: Number(payload.newScore) });
    L.player.scheduleAround(true);
  }

  function startSocket() {
    const socket = Scoreboard.openSocket(() => S.token, REQUEST_TIMEOUT_MS);
    S.socket = socket;
    socket.on('connect', onConnect);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onConnectError);
    socket.io.on('reconnect_attempt', (attempt) => {
      S.conn.attempt = attempt;
      L.status.update();
    });
    socket.on('leaderboard:update', onLeaderboardUpdate);
    socket.on('board:update', onBoardUpdate);
    socket.on('score:updated', onScoreUpdated);
    socket.on('rank:changed', onRankChanged);
  }

  L.live = Object.freeze({ connect, subscribeBoard, unsubscribeBoard, retryNow });
})();
