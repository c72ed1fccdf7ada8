// The live leaderboard page (no build step, no framework), started here once its parts are loaded,
// each a script of its own sharing `window.ScoreboardLive`, in this order (web/index.html):
//   live-format.js      numbers, times, periods and rules in words (pure)
//   live-view.js        the shared state: the board and period shown, elements, REST requests, notices
//   live-player.js      the token from the link, the "You" card, the players around them
//   live-table.js       the top 10, updated in place, and what screen readers hear
//   live-board-info.js  the pickers, what the board is, the period line and its countdown
//   live-boards.js      the board list, switching board or period, the period boundary
//   live-rest.js        reading the board shown over REST
//   live-status.js      the connection badge
//   live-poll.js        the polling fallback
//   live-socket.js      the live path over Socket.IO
//
// Boards: a picker lists every board (GET /api/v1/boards) with what it is (order, operator, reset,
// metadata); `#board=ID&period=previous|ID` in the fragment names the one shown. The global board is
// the default and keeps its own routes and events. Another board shows the top 10 of a period
// (GET /api/v1/boards/:id/entries), a countdown to its next reset, and its previous and past periods
// (GET /api/v1/boards/:id/periods); a board whose metadata says `format: "duration-ms"` shows times.
// Fallback: polling (GET /api/v1/scores/leaderboard/changes?since= for the global board, the board's
// entries with If-None-Match otherwise). All text goes into the page through textContent: usernames,
// board titles and metadata are user input.
(() => {
  'use strict';

  const L = window.ScoreboardLive;
  const { state: S } = L;
  const { GLOBAL } = L.consts;

  window.addEventListener('online', () => {
    L.status.update();
    L.poll.now();
    if (S.socket && !S.socket.connected && !S.socket.active) S.socket.connect();
  });
  window.addEventListener('offline', () => L.status.update());
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) L.poll.now();
  });
  window.addEventListener('hashchange', () => {
    if (/(^#|&)token=/.test(location.hash)) {
      S.token = L.player.loadToken();
      L.view.hideNotice();
      L.player.setup();
      if (S.socket) S.socket.disconnect().connect();
      void L.boards.fetchBoards();
    }
    const wanted = L.view.viewFromHash();
    if (wanted.boardId !== S.view.boardId || wanted.period !== S.view.period) void L.boards.selectView(wanted.boardId, wanted.period);
    else void L.rest.fetchView();
  });

  S.token = L.player.loadToken();
  const initial = L.view.viewFromHash();
  L.player.setup();
  L.status.update();
  L.boardInfo.renderChrome();
  if (initial.boardId === GLOBAL) {
    void L.rest.fetchTop();
    void L.boards.fetchBoards();
  } else {
    // The board named by the link: shown once the list (or the board itself) is known.
    void L.boards.fetchBoards().then(() => L.boards.selectView(initial.boardId, initial.period));
  }
  void L.live.connect();
})();
