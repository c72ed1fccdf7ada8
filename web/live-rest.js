// The live page over REST: the board shown read once (first paint, a switch, a gap in the live
// sequence, a new period) and the poller's reads. `ScoreboardLive.rest`.
(() => {
  'use strict';

  const L = window.ScoreboardLive;
  const { el, state: S } = L;
  const { API, BOARDS_API, TOP_LIMIT } = L.consts;
  const { isGlobalView, request, setPrivate } = L.view;

  /** Handles a 401: a rejected token is dropped (and the caller retries anonymously), else the board is private. */
  function unauthorized() {
    if (S.token) {
      L.player.forget('Your player link was not accepted (expired or invalid); showing the public leaderboard.');
      if (S.socket) S.socket.disconnect().connect();
      return 'retry';
    }
    setPrivate(true);
    return 'private';
  }

  /** The current top 10 over REST (first paint, and after a gap in the live sequence). */
  async function fetchTop() {
    const version = S.liveVersion;
    const shown = S.view.version;
    try {
      const response = await request(`${API}/leaderboard?limit=${TOP_LIMIT}`);
      if (response.status === 401) {
        if (unauthorized() === 'retry') void fetchTop();
        return;
      }
      if (!response.ok) return;
      const { data } = await response.json();
      if (version !== S.liveVersion || shown !== S.view.version || !data || !Array.isArray(data.leaderboard)) return;
      setPrivate(false);
      L.table.render(data.leaderboard, data.timestamp);
    } catch {
      /* the live path or polling will fill it in */
    }
  }

  /** The ETag of the last board page shown, per URL: an unchanged page is a 304 with no body. */
  const etags = new Map();

  /** A 404 for the period shown: `ok` when only the period is gone, `gone` when the board is. */
  async function notFound(response, shown, boardId) {
    const { error } = await response.json().catch(() => ({ error: null }));
    if (shown !== S.view.version) return 'ok';
    if (error && error.code === 'PERIOD_NOT_FOUND') {
      L.table.reset();
      el.empty.textContent = 'This period is not kept any more.';
      el.empty.hidden = false;
      return 'ok';
    }
    L.boards.boardGone(boardId);
    return 'gone';
  }

  /** A page of the period shown: its period, its count and its entries on screen. */
  function showEntries(data) {
    const { view } = S;
    if (data.period && view.period === 'current') L.boards.startPeriod(data.period);
    else if (data.period) {
      view.shown = data.period;
      L.boardInfo.renderPeriodLine();
      L.boardInfo.renderPeriodPicker();
    }
    if (view.board && view.period === 'current' && Number.isFinite(Number(data.totalEntries)) && view.board.totalEntries !== Number(data.totalEntries)) {
      view.board = { ...view.board, totalEntries: Number(data.totalEntries) };
      L.boardInfo.renderBoardInfo();
    }
    L.table.render(data.entries, new Date().toISOString());
    L.player.scheduleAround();
  }

  /**
   * The board period shown over REST: `ok` (shown or unchanged), `private`, `gone`, or it throws (a
   * network failure or a 5xx, counted by the poller). The global board is read by fetchTop.
   */
  async function fetchBoardEntries() {
    const version = S.liveVersion;
    const shown = S.view.version;
    const boardId = S.view.boardId;
    const url = `${BOARDS_API}/${encodeURIComponent(boardId)}/entries?limit=${TOP_LIMIT}&period=${encodeURIComponent(S.view.period)}`;
    const known = etags.get(url);
    const response = await request(url, known ? { 'if-none-match': known } : {});
    if (shown !== S.view.version) return 'ok';
    if (response.status === 304) return 'ok';
    if (response.status === 401) return unauthorized() === 'retry' ? fetchBoardEntries() : 'private';
    if (response.status === 404) return notFound(response, shown, boardId);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const etag = response.headers.get('etag');
    const { data } = await response.json();
    if (shown !== S.view.version || !data || !Array.isArray(data.entries)) return 'ok';
    if (S.isPrivate) setPrivate(false);
    if (version !== S.liveVersion) return 'ok'; // a live update came in meanwhile: it is newer
    if (etag) etags.set(url, etag);
    showEntries(data);
    return 'ok';
  }

  /** Shows the board and period on screen once over REST (a switch, a gap, a new period). */
  async function fetchView() {
    if (isGlobalView()) return fetchTop();
    try {
      await fetchBoardEntries();
    } catch {
      /* the live path or polling will fill it in */
    }
  }

  L.rest = Object.freeze({ unauthorized, fetchTop, fetchBoardEntries, fetchView, forgetEtags: () => etags.clear() });
})();
