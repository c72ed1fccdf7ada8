// The live page's boards: the list, switching board or period, a board's periods, and the period
// boundary (rollover). `ScoreboardLive.boards`.
(() => {
  'use strict';

  const L = window.ScoreboardLive;
  const { el, state: S } = L;
  const { BOARDS_API, GLOBAL } = L.consts;
  const { periodLabel } = L.format;
  const { isGlobalView, request, showNotice, viewToHash } = L.view;
  const info = L.boardInfo;

  /** At a reset: how long `board:update` may take to name the new period before asking over REST. */
  const ROLLOVER_GRACE_MS = 1500;
  const ROLLOVER_TRIES = 10;
  const BOARDS_REFRESH_MS = 60000;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * At a period boundary: when the board is followed live the server names the new period in a
   * `board:update` (within a second); otherwise, or if it does not, the board is read again over REST
   * until its current period is the new one (a client clock ahead of the server's is retried).
   */
  let rollingFrom = null;
  async function rollover(periodId) {
    if (rollingFrom === periodId) return;
    rollingFrom = periodId;
    const { view, sub } = S;
    const boardId = view.boardId;
    const stillOld = () => view.boardId === boardId && view.board && view.board.period && view.board.period.id === periodId;
    await sleep(sub.state === 'ok' && sub.boardId === boardId ? ROLLOVER_GRACE_MS : 300);
    for (let attempt = 0; attempt < ROLLOVER_TRIES && stillOld(); attempt += 1) {
      try {
        const response = await request(`${BOARDS_API}/${encodeURIComponent(boardId)}`);
        if (response.ok) {
          const { data } = await response.json();
          if (data && view.boardId === boardId && data.period && data.period.id !== periodId) {
            applyBoard(data);
            break;
          }
        }
      } catch {
        /* asked again below */
      }
      await sleep(1000);
    }
    if (rollingFrom === periodId) rollingFrom = null;
  }

  /**
   * A fresh copy of the board shown (from the list, a read, or a rollover). When its current period
   * moved on, the current view starts over in the new one and the "previous" view follows too.
   */
  function applyBoard(board) {
    const { view, boards } = S;
    if (!board || board.id !== view.boardId) return;
    const before = view.board && view.board.period ? view.board.period.id : null;
    view.board = board;
    const index = boards.findIndex((known) => known.id === board.id);
    if (index >= 0) boards[index] = board;
    const moved = before !== null && board.period && board.period.id !== before;
    if (moved) {
      if (view.period === 'current') startPeriod(board.period);
      if (view.period === 'current' || view.period === 'previous') void L.rest.fetchView();
      void fetchPeriods();
    }
    info.renderChrome();
  }

  /** The current view's period moved on: the table starts over in it, quietly. */
  function startPeriod(period) {
    const { view } = S;
    if (view.shown && view.shown.id === period.id) return;
    const first = view.shown === null;
    view.shown = period;
    if (view.board && (!view.board.period || view.board.period.id !== period.id)) {
      view.board = { ...view.board, period, totalEntries: 0 };
      void fetchPeriods();
    }
    if (!first) {
      L.table.reset();
      if (S.me) L.player.update({ rank: null, score: null, clear: true });
      L.player.renderAround([]);
      L.table.announce(`A new period started: ${periodLabel(period, view.board)}.`);
    }
    info.renderChrome();
  }

  /** What was shown is forgotten: the table, the player's standing, the live and REST bookkeeping. */
  function clearShown(boardId, period) {
    const { view } = S;
    const boardChanged = boardId !== view.boardId;
    L.live.unsubscribeBoard();
    view.version += 1;
    view.boardId = boardId;
    view.period = boardId === GLOBAL ? 'current' : period;
    view.shown = null;
    if (boardChanged) {
      view.board = S.boards.find((board) => board.id === boardId) || null;
      S.periods = [];
    }
    S.liveVersion += 1;
    L.poll.forgetSince();
    L.rest.forgetEtags();
    L.table.reset();
    L.player.renderAround([]);
    if (S.me) {
      S.me.rank = null;
      S.me.score = null;
    }
  }

  /** Switches the page to another board or period: the table starts over, the live path follows. */
  async function selectView(boardId, period) {
    const { view } = S;
    if (boardId === view.boardId && period === view.period && view.board) return;
    clearShown(boardId, period);
    viewToHash();
    info.renderBoardPicker();
    info.renderChrome();
    const version = view.version;
    if (!view.board) {
      // Named by the fragment and not in the list (yet): read it.
      const known = await fetchBoard(boardId);
      if (version !== view.version) return;
      if (!known) return;
    }
    void L.rest.fetchView();
    if (!isGlobalView()) void fetchPeriods();
    L.player.refresh();
    L.live.subscribeBoard();
    L.poll.sync();
    L.status.update();
  }

  const pickerKey = () => JSON.stringify(S.boards.map((board) => [board.id, board.title]));

  /** GET /api/v1/boards: the picker's list. */
  async function fetchBoards() {
    try {
      const response = await request(BOARDS_API);
      if (!response.ok) return; // private and anonymous: the global board alone, as before
      const { data } = await response.json();
      if (!data || !Array.isArray(data.boards)) return;
      const before = pickerKey();
      S.boards = data.boards.filter((board) => board && typeof board.id === 'string');
      const shown = S.boards.find((board) => board.id === S.view.boardId);
      if (shown) applyBoard(shown);
      // Rebuilt only when a board came, went or was renamed: a list open in the user's hand stays open.
      if (pickerKey() !== before || el.boardPicker.options.length === 0) info.renderBoardPicker();
    } catch {
      /* the picker stays as it was */
    }
  }

  /** GET /api/v1/boards/:id, for a board the list does not hold; false (and back to global) when it does not exist. */
  async function fetchBoard(boardId) {
    try {
      const response = await request(`${BOARDS_API}/${encodeURIComponent(boardId)}`);
      if (response.status === 404) {
        showNotice(`There is no board "${boardId}"; showing the global leaderboard.`, 'warn');
        void selectView(GLOBAL, 'current');
        return false;
      }
      if (!response.ok) return true;
      const { data } = await response.json();
      if (data && data.id === boardId && S.view.boardId === boardId) {
        S.view.board = data;
        if (!S.boards.some((board) => board.id === boardId)) S.boards.push(data);
        info.renderBoardPicker();
        info.renderChrome();
      }
      return true;
    } catch {
      return true;
    }
  }

  /** GET /api/v1/boards/:id/periods: the past periods offered by the period picker. */
  async function fetchPeriods() {
    const { view } = S;
    if (isGlobalView() || !(view.board && view.board.reset)) return;
    const version = view.version;
    try {
      const response = await request(`${BOARDS_API}/${encodeURIComponent(view.boardId)}/periods?limit=50`);
      if (!response.ok || version !== view.version) return;
      const { data } = await response.json();
      if (version !== view.version || !data || !Array.isArray(data.periods)) return;
      S.periods = data.periods.filter((period) => period && typeof period.id === 'string');
      info.renderPeriodPicker();
    } catch {
      /* the picker keeps current and previous */
    }
  }

  /** The board shown no longer exists: off the list, and back to global. */
  function boardGone(boardId) {
    showNotice(`The board "${boardId}" no longer exists; showing the global leaderboard.`, 'warn');
    S.boards = S.boards.filter((board) => board.id !== boardId);
    void selectView(GLOBAL, 'current');
  }

  el.boardPicker.addEventListener('change', () => {
    void selectView(el.boardPicker.value, 'current');
  });
  el.periodPicker.addEventListener('change', () => {
    void selectView(S.view.boardId, el.periodPicker.value);
  });
  // Boards created, renamed or deleted while the page is open reach the picker within a minute.
  setInterval(() => {
    if (!document.hidden) void fetchBoards();
  }, BOARDS_REFRESH_MS);

  L.boards = Object.freeze({ rollover, applyBoard, startPeriod, selectView, fetchBoards, boardGone });
})();
