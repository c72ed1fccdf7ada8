// The live page's shared state: the board and period on screen, the page's elements, REST requests,
// notices. Every other part of the page (web/app.js lists them) reads and changes the page through
// `ScoreboardLive.state` and the helpers here. All text goes in through textContent.
(() => {
  'use strict';

  const L = (window.ScoreboardLive = window.ScoreboardLive || {});
  const { fmt, formatDuration } = L.format;

  const GLOBAL = 'global';
  const REQUEST_TIMEOUT_MS = 8000;
  L.consts = Object.freeze({
    API: '/api/v1/scores',
    BOARDS_API: '/api/v1/boards',
    GLOBAL,
    TOP_LIMIT: 10,
    REQUEST_TIMEOUT_MS,
    /** How long a row, or the player's card, stays highlighted after a change. */
    HIGHLIGHT_MS: 2500,
  });

  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  L.el = {
    state: $('state'), notice: $('notice'), board: $('board'), rows: $('rows'), empty: $('empty'),
    updated: $('updated'), detail: $('detail'), announcer: $('announcer'),
    me: $('me'), meName: $('me-name'), meRank: $('me-rank'), meScore: $('me-score'), meGain: $('me-gain'), forget: $('forget'),
    meScoreLabel: $('me-score-label'), title: $('title'), caption: $('caption'), scoreHeading: $('score-heading'),
    picker: $('picker'), boardPicker: $('board-picker'), periodControl: $('period-control'), periodPicker: $('period-picker'),
    periodLine: $('period-line'), periodRange: $('period-range'), countdown: $('countdown'), boardInfo: $('board-info'),
    around: $('around'), aroundRows: $('around-rows'),
  };
  const el = L.el;

  /**
   * `view`: the board and period on screen. `period` is what is asked for (`current`, `previous` or a
   * period id); `shown` is the period object of the entries on screen; `version` rises at every
   * switch, so that an answer for the board shown before is dropped.
   */
  const S = {
    view: {
      boardId: GLOBAL,
      period: 'current',
      /** @type {any} the Board (definition, current period, totalEntries), once known */
      board: null,
      /** @type {{id: string, startsAt: string|null, endsAt: string|null}|null} */
      shown: null,
      version: 0,
    },
    /** @type {any[]} every board, from GET /api/v1/boards */
    boards: [],
    /** @type {any[]} the kept periods of the board shown, newest first */
    periods: [],
    /** @type {string|null} the player's token (from the link), sent with every request */
    token: null,
    /** The player's standing on the board shown. @type {{userId: string|null, username: string|null, rank: number|null, score: number|null}|null} */
    me: null,
    /** Counts the player's live events, so that an older REST answer does not overwrite them. */
    meVersion: 0,
    /** Counts live updates applied (and switches), so that a REST answer older than them is dropped. */
    liveVersion: 0,
    /** The leaderboard answered 401 without a token. */
    isPrivate: false,
    /** @type {any} the Socket.IO socket, once its client script loaded */
    socket: null,
    /** The live connection, as the status badge tells it. `polling`: the socket cannot connect, the page polls. */
    conn: { live: false, everLive: false, attempt: 0, connectErrors: 0, polling: false, pollFailures: 0, transport: '' },
    /** The socket's board subscription: `pending` until acknowledged, `failed` when refused or unanswered. */
    sub: { boardId: null, state: 'none', seq: null, generation: 0, retryTimer: null },
  };
  L.state = S;

  const isGlobalView = () => S.view.boardId === GLOBAL;
  /** The board shown is followed live: the current period of a board other than global. */
  const isBoardLive = () => S.view.boardId !== GLOBAL && S.view.period === 'current';
  const isPastView = () => S.view.period !== 'current';
  const isDuration = () => Boolean(S.view.board && S.view.board.metadata && S.view.board.metadata.format === 'duration-ms');
  const formatScore = (value) => (isDuration() ? formatDuration(value) : fmt(value));
  const withUnit = (value) => (isDuration() ? `a time of ${formatDuration(value)}` : `${fmt(value)} points`);

  /** The board and period the fragment names (`#board=ID&period=…`), global and current by default. */
  function viewFromHash() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const boardId = fragment.get('board');
    const period = fragment.get('period');
    return {
      boardId: boardId && /^[a-z0-9][a-z0-9_-]{0,63}$/.test(boardId) ? boardId : GLOBAL,
      period: period && (period === 'previous' || !Number.isNaN(Date.parse(period))) ? period : 'current',
    };
  }

  /** Writes the view into the fragment (without a history entry), so a reload or a shared link shows it. */
  function viewToHash() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    fragment.delete('board');
    fragment.delete('period');
    if (S.view.boardId !== GLOBAL) fragment.set('board', S.view.boardId);
    if (S.view.period !== 'current') fragment.set('period', S.view.period);
    replaceFragment(fragment);
  }

  /** The address bar's fragment, without a history entry. */
  function replaceFragment(fragment) {
    const rest = fragment.toString();
    history.replaceState(history.state, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
  }

  /** A GET of the API as JSON, with the player's token when there is one. */
  function request(url, extraHeaders = {}) {
    const headers = { accept: 'application/json', ...extraHeaders };
    if (S.token) headers.authorization = `Bearer ${S.token}`;
    const options = { headers, cache: 'no-store', credentials: 'same-origin' };
    if (typeof AbortSignal !== 'undefined' && AbortSignal.timeout) options.signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    return fetch(url, options);
  }

  function showNotice(text, kind) {
    el.notice.textContent = text;
    el.notice.dataset.kind = kind;
    el.notice.hidden = false;
  }
  function hideNotice() {
    el.notice.hidden = true;
  }

  function setPrivate(value) {
    S.isPrivate = value;
    el.board.hidden = value;
    if (value) {
      showNotice('This leaderboard is private. Open the player link you were given (it ends in #token=…) to see it.', 'error');
    } else if (el.notice.dataset.kind === 'error') {
      hideNotice();
    }
  }

  /** Plays a CSS animation class again from its start. */
  function restartClass(node, name) {
    node.classList.remove(name);
    void node.offsetWidth; // restart the CSS animation
    node.classList.add(name);
  }

  L.view = Object.freeze({
    isGlobalView, isBoardLive, isPastView, isDuration, formatScore, withUnit,
    viewFromHash, viewToHash, replaceFragment, request, showNotice, hideNotice, setPrivate, restartClass,
  });
})();
