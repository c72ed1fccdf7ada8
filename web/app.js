// The live leaderboard page (no build step, no framework).
//
// Boards: a picker lists every board (GET /api/v1/boards) with what it is (order, operator, reset,
// metadata); `#board=ID&period=previous|ID` in the fragment names the one shown. The global board is
// the default and keeps its own routes and events. Another board shows the top 10 of a period
// (GET /api/v1/boards/:id/entries), a countdown to its next reset, and its previous and past periods
// (GET /api/v1/boards/:id/periods); a board whose metadata says `format: "duration-ms"` shows times.
//
// Live path: the official Socket.IO client from /socket.io/socket.io.min.js, event
// `leaderboard:update` {leaderboard, timestamp, seq} for the global board and, for another board's
// current period, `board:subscribe` {boardId} (ack {ok, period}) then `board:update` {boardId, period,
// leaderboard, timestamp, seq} (a gap in seq → refetch over REST; a new period → the table starts
// over). For a player who opened the page with `#token=...`: `score:updated` and `rank:changed` for
// themselves, and the players around them (GET .../entries/:userId/around).
// Fallback: polling (GET /api/v1/scores/leaderboard/changes?since= for the global board, the board's
// entries with If-None-Match otherwise) while the socket cannot connect (after a couple of connect
// errors, or when the client script does not load), and for a board whose subscription the server
// refused or never acknowledged; it stops as soon as the live path is back.
// All text goes into the page through textContent: usernames, board titles and metadata are user input.
(() => {
  'use strict';

  const CLIENT_SRC = '/socket.io/socket.io.min.js';
  const API = '/api/v1/scores';
  const BOARDS_API = '/api/v1/boards';
  const GLOBAL = 'global';
  const TOP_LIMIT = 10;
  const AROUND_LIMIT = 5;
  /** How long the server may take to acknowledge `board:subscribe` before the board is polled. */
  const SUBSCRIBE_TIMEOUT_MS = 4000;
  /** After an unacknowledged subscription, when to ask again (a server that gained it since). */
  const SUBSCRIBE_RETRY_MS = 30000;
  /** At a reset: how long `board:update` may take to name the new period before asking over REST. */
  const ROLLOVER_GRACE_MS = 1500;
  const ROLLOVER_TRIES = 10;
  const AROUND_DEBOUNCE_MS = 300;
  const AROUND_MIN_INTERVAL_MS = 5000;
  const BOARDS_REFRESH_MS = 60000;
  const TOKEN_KEY = 'scoreboard.token';
  const POLL_MS = 2000;
  const POLL_MAX_MS = 30000;
  const HIDDEN_POLL_MS = 15000;
  const ERRORS_BEFORE_POLLING = 2;
  const CLIENT_RETRY_MS = [5000, 15000, 30000, 60000];
  const HIGHLIGHT_MS = 2500;
  const DELTA_MS = 8000;
  const ANNOUNCE_GAP_MS = 3000;
  const REQUEST_TIMEOUT_MS = 8000;

  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const el = {
    state: $('state'), notice: $('notice'), board: $('board'), rows: $('rows'), empty: $('empty'),
    updated: $('updated'), detail: $('detail'), announcer: $('announcer'),
    me: $('me'), meName: $('me-name'), meRank: $('me-rank'), meScore: $('me-score'), meGain: $('me-gain'), forget: $('forget'),
    meScoreLabel: $('me-score-label'), title: $('title'), caption: $('caption'), scoreHeading: $('score-heading'),
    picker: $('picker'), boardPicker: $('board-picker'), periodControl: $('period-control'), periodPicker: $('period-picker'),
    periodLine: $('period-line'), periodRange: $('period-range'), countdown: $('countdown'), boardInfo: $('board-info'),
    around: $('around'), aroundRows: $('around-rows'),
  };
  const numberFormat = new Intl.NumberFormat();
  const fmt = (value) => (Number.isFinite(value) ? numberFormat.format(value) : '—');
  const reducedMotion = window.matchMedia ? window.matchMedia('(prefers-reduced-motion: reduce)') : { matches: false };

  // ---------------------------------------------------------------- formats
  /** 65432 → "1:05.432", 3725000 → "1:02:05.000": a time in milliseconds, as a stopwatch shows it. */
  function formatDuration(ms) {
    if (!Number.isFinite(ms)) return '—';
    const sign = ms < 0 ? '−' : '';
    const total = Math.round(Math.abs(ms));
    const millis = String(total % 1000).padStart(3, '0');
    const seconds = Math.floor(total / 1000) % 60;
    const minutes = Math.floor(total / 60000) % 60;
    const hours = Math.floor(total / 3600000);
    const ss = String(seconds).padStart(2, '0');
    return hours > 0 ? `${sign}${hours}:${String(minutes).padStart(2, '0')}:${ss}.${millis}` : `${sign}${minutes}:${ss}.${millis}`;
  }

  /** What is left until a reset: "0:42", "12:05", "5:03:10", "3 d 4 h". */
  function formatCountdown(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    if (seconds >= 86400) return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const ss = String(seconds % 60).padStart(2, '0');
    return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const DAY_MS = 86400000;

  /** A period in words: its dates when it spans whole days (in the board's zone), else its times here. */
  function periodLabel(period, board) {
    if (!period || !period.startsAt) return 'All time';
    const start = new Date(period.startsAt);
    const end = period.endsAt ? new Date(period.endsAt) : null;
    if (!end) return `Since ${timeFormat.format(start)}`;
    if (end.getTime() - start.getTime() >= DAY_MS) {
      let dates;
      try {
        dates = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: (board && board.timezone) || 'UTC' });
      } catch {
        dates = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
      }
      // The end is exclusive: a daily period is one date, a weekly one Monday to Sunday.
      const last = new Date(end.getTime() - 1);
      return typeof dates.formatRange === 'function' ? dates.formatRange(start, last) : `${dates.format(start)} – ${dates.format(last)}`;
    }
    return typeof timeFormat.formatRange === 'function' ? timeFormat.formatRange(start, end) : `${timeFormat.format(start)} – ${timeFormat.format(end)}`;
  }

  const RESETS = { daily: 'Resets daily', weekly: 'Resets weekly (Monday)', monthly: 'Resets monthly (the 1st)' };
  const OPERATORS = { increment: 'Scores add up', best: 'Best score counts', latest: 'Latest score counts' };

  function resetText(board) {
    if (!board.reset) return 'Never resets';
    const zone = board.timezone && board.timezone !== 'UTC' ? `, ${board.timezone}` : '';
    if (RESETS[board.reset]) return `${RESETS[board.reset]}${zone}`;
    if (board.reset === '* * * * *') return 'Resets every minute';
    if (/^0 \* \* \* \*$/.test(board.reset)) return `Resets every hour${zone}`;
    return `Resets on "${board.reset}"${zone}`;
  }

  /** A metadata value as short text (objects as JSON). */
  function metadataText(value) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return String(value);
    try {
      return JSON.stringify(value);
    } catch {
      return '';
    }
  }

  // ---------------------------------------------------------------- the board shown
  /**
   * The board and period on screen. `period` is what is asked for (`current`, `previous` or a period
   * id); `shown` is the period object of the entries on screen; `version` rises at every switch, so
   * that an answer for the board shown before is dropped.
   */
  const view = {
    boardId: GLOBAL,
    period: 'current',
    /** @type {any} the Board (definition, current period, totalEntries), once known */
    board: null,
    /** @type {{id: string, startsAt: string|null, endsAt: string|null}|null} */
    shown: null,
    version: 0,
  };
  /** @type {any[]} every board, from GET /api/v1/boards */
  let boards = [];
  /** @type {any[]} the kept periods of the board shown, newest first */
  let periods = [];

  const isGlobalView = () => view.boardId === GLOBAL;
  /** The board shown is followed live: the current period of a board other than global. */
  const isBoardLive = () => view.boardId !== GLOBAL && view.period === 'current';
  const isPastView = () => view.period !== 'current';
  const isDuration = () => Boolean(view.board && view.board.metadata && view.board.metadata.format === 'duration-ms');
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
    if (view.boardId !== GLOBAL) fragment.set('board', view.boardId);
    if (view.period !== 'current') fragment.set('period', view.period);
    const rest = fragment.toString();
    history.replaceState(history.state, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
  }

  // ---------------------------------------------------------------- player token
  // Taken from the fragment (never sent to the server in a URL), kept for this tab only, and
  // removed from the address bar so it does not end up in history, bookmarks or screenshots.
  const { store: storeToken, stored: storedToken } = Scoreboard.tokenStore(TOKEN_KEY);
  const { claimsOf } = Scoreboard;
  function loadToken() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.has('token')) {
      const value = (fragment.get('token') || '').trim();
      storeToken(Scoreboard.JWT_PATTERN.test(value) ? value : null);
      fragment.delete('token');
      const rest = fragment.toString();
      history.replaceState(history.state, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
    }
    return storedToken();
  }

  let token = loadToken();
  /** The player's standing on the board shown. @type {{userId: string|null, username: string|null, rank: number|null, score: number|null}|null} */
  let me = null;
  /** Counts the player's live events, so that an older REST answer does not overwrite them. */
  let meVersion = 0;

  function setupMe() {
    if (!token) {
      me = null;
      el.me.hidden = true;
      el.around.hidden = true;
      return;
    }
    const claims = claimsOf(token);
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
      forgetToken('Your player link has expired; showing the public leaderboard.');
      return;
    }
    const userId = typeof claims.userId === 'string' ? claims.userId : typeof claims.sub === 'string' ? claims.sub : null;
    me = { userId, username: typeof claims.username === 'string' ? claims.username : null, rank: null, score: null };
    el.meName.textContent = me.username || me.userId || 'Player';
    el.me.hidden = false;
    renderMe();
    refreshMe();
  }

  function forgetToken(message) {
    token = null;
    storeToken(null);
    me = null;
    el.me.hidden = true;
    el.around.hidden = true;
    for (const row of rowsByUser.values()) row.tr.classList.remove('me');
    if (message) showNotice(message, 'warn');
  }

  /** The player's standing on the global board over REST: at start, and after a gap in the live events (reconnects). */
  async function fetchMe(userId) {
    const version = meVersion;
    const shown = view.version;
    try {
      const response = await request(`${API}/user/${encodeURIComponent(userId)}`);
      if (response.status === 401) return forgetToken('Your player link was not accepted; showing the public leaderboard.');
      if (!response.ok || !me || me.userId !== userId || version !== meVersion || shown !== view.version) return;
      const { data } = await response.json();
      updateMe({ rank: Number(data.rank), score: Number(data.score) });
    } catch {
      /* the live events fill it in */
    }
  }

  /** The players around the player in the period shown (their own entry among them), over REST. */
  async function fetchAround(userId) {
    const shown = view.version;
    const version = meVersion;
    const period = isGlobalView() ? '' : `&period=${encodeURIComponent(view.period)}`;
    try {
      const response = await request(`${BOARDS_API}/${encodeURIComponent(view.boardId)}/entries/${encodeURIComponent(userId)}/around?limit=${AROUND_LIMIT}${period}`);
      if (shown !== view.version || !me || me.userId !== userId) return;
      if (response.status === 404) {
        // No entry in this period (yet): nothing around them either.
        if (!isGlobalView()) updateMe({ rank: null, score: null, clear: true });
        renderAround([]);
        return;
      }
      if (!response.ok) return;
      const { data } = await response.json();
      if (shown !== view.version || !data || !Array.isArray(data.entries)) return;
      renderAround(data.entries);
      const own = data.entries.find((entry) => entry && entry.userId === userId);
      // On the global board the player's own events (and /scores/user) are the source; elsewhere this is.
      if (own && !isGlobalView() && version === meVersion) updateMe({ rank: Number(own.rank), score: Number(own.score) });
    } catch {
      /* kept as it was; the next update asks again */
    }
  }

  let aroundTimer = null;
  let aroundAsked = 0;
  /**
   * Asks for the player's neighbourhood again. `urgent` (their own rank moved): at once, coalesced.
   * Otherwise (some entry of the board changed): at most every AROUND_MIN_INTERVAL_MS, and not while
   * the player is in the top 10, whose broadcasts already carry their entry, so that a busy board
   * does not cost a request per viewer per broadcast.
   */
  function scheduleAround(urgent = false) {
    if (!me || !me.userId) return;
    if (!urgent && rowsByUser.has(me.userId)) return;
    if (aroundTimer) {
      if (!urgent) return;
      clearTimeout(aroundTimer);
    }
    const wait = urgent ? AROUND_DEBOUNCE_MS : Math.max(AROUND_DEBOUNCE_MS, aroundAsked + AROUND_MIN_INTERVAL_MS - Date.now());
    aroundTimer = setTimeout(() => {
      aroundTimer = null;
      aroundAsked = Date.now();
      if (me && me.userId) void fetchAround(me.userId);
    }, wait);
  }

  function refreshMe() {
    if (!me || !me.userId) return;
    if (isGlobalView()) void fetchMe(me.userId);
    void fetchAround(me.userId);
  }

  function updateMe({ rank, score, gain, userId, clear = false }) {
    if (!me) return;
    if (userId && !me.userId) me.userId = userId;
    const before = me.score;
    if (clear) {
      me.rank = null;
      me.score = null;
    }
    if (Number.isFinite(rank)) me.rank = rank;
    if (Number.isFinite(score)) me.score = score;
    const gained = Number.isFinite(gain) && gain > 0;
    // A board's own entries carry no increment: the card flashes when the entry changed.
    if (gained || (!isGlobalView() && before !== null && me.score !== null && me.score !== before)) {
      el.meGain.textContent = gained ? `+${fmt(gain)}` : '';
      restartClass(el.me, 'bump');
      clearTimeout(updateMe.timer);
      updateMe.timer = setTimeout(() => {
        el.meGain.textContent = '';
        el.me.classList.remove('bump');
      }, HIGHLIGHT_MS);
    }
    renderMe();
  }

  function renderMe() {
    if (!me) return;
    el.meRank.textContent = me.rank ? `#${fmt(me.rank)}` : '—';
    el.meScore.textContent = me.score === null ? '—' : formatScore(me.score);
    el.meScoreLabel.textContent = isDuration() ? 'Time' : 'Score';
  }

  /** The around-me list: rebuilt at each answer (a handful of rows). */
  function renderAround(entries) {
    const items = [];
    for (const entry of entries) {
      if (!entry || typeof entry.userId !== 'string') continue;
      const li = document.createElement('li');
      li.dataset.userId = entry.userId;
      if (me && entry.userId === me.userId) li.className = 'me';
      const rank = document.createElement('span');
      rank.className = 'rank';
      rank.textContent = fmt(Number(entry.rank));
      const nameCell = document.createElement('span');
      nameCell.className = 'name';
      const name = document.createElement('bdi');
      name.textContent = typeof entry.username === 'string' && entry.username !== '' ? entry.username : entry.userId;
      nameCell.title = name.textContent;
      nameCell.append(name);
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = formatScore(Number(entry.score));
      li.append(rank, nameCell, score);
      items.push(li);
    }
    el.aroundRows.replaceChildren(...items);
    aroundFresh = true;
    showAroundIfUseful();
  }

  /** Whether the list was read since the player was last in the top 10 (it is not kept up to date meanwhile). */
  let aroundFresh = false;

  /** The list is shown for a player ranked below the top 10 (in it, the table above already shows them). */
  function showAroundIfUseful() {
    const inTop = Boolean(me && me.userId && rowsByUser.has(me.userId));
    if (inTop) aroundFresh = false;
    el.around.hidden = !me || !me.userId || el.aroundRows.children.length === 0 || inTop || !aroundFresh;
  }

  el.forget.addEventListener('click', () => {
    forgetToken(null);
    hideNotice();
    // Reconnect without the token so this socket stops receiving the player's events.
    if (socket) socket.disconnect().connect();
  });

  // ---------------------------------------------------------------- notices
  function showNotice(text, kind) {
    el.notice.textContent = text;
    el.notice.dataset.kind = kind;
    el.notice.hidden = false;
  }
  function hideNotice() {
    el.notice.hidden = true;
  }

  let isPrivate = false;
  function setPrivate(value) {
    isPrivate = value;
    el.board.hidden = value;
    if (value) {
      showNotice('This leaderboard is private. Open the player link you were given (it ends in #token=…) to see it.', 'error');
    } else if (el.notice.dataset.kind === 'error') {
      hideNotice();
    }
  }
  // ---------------------------------------------------------------- rendering
  /** @type {Map<string, {tr: HTMLTableRowElement, rankText: HTMLElement, delta: HTMLElement, name: HTMLElement, score: HTMLElement, rank: number, value: number, flashTimer?: number, deltaTimer?: number}>} */
  const rowsByUser = new Map();
  let rendered = false;

  function restartClass(node, name) {
    node.classList.remove(name);
    void node.offsetWidth; // restart the CSS animation
    node.classList.add(name);
  }

  function createRow(userId) {
    const tr = document.createElement('tr');
    tr.dataset.userId = userId;
    const rankCell = document.createElement('td');
    rankCell.className = 'rank';
    const rankText = document.createElement('span');
    const delta = document.createElement('span');
    delta.className = 'delta';
    rankCell.append(rankText, delta);
    const nameCell = document.createElement('td');
    nameCell.className = 'name';
    // Isolated: a name's right-to-left text or stray direction marks never reorder what is beside it.
    const name = document.createElement('bdi');
    nameCell.append(name);
    const score = document.createElement('td');
    score.className = 'score';
    tr.append(rankCell, nameCell, score);
    return { tr, rankText, delta, name, score, rank: NaN, value: NaN };
  }

  /** Highlights a row for a moment: `changed` (with `scored` when its score moved) or `entered`. */
  function flash(row, className, scored = false) {
    row.tr.classList.remove('changed', 'entered', 'scored');
    if (scored) row.tr.classList.add('scored');
    restartClass(row.tr, className);
    clearTimeout(row.flashTimer);
    row.flashTimer = setTimeout(() => row.tr.classList.remove(className, 'scored'), HIGHLIGHT_MS);
  }

  function showDelta(row, places) {
    row.delta.className = `delta ${places > 0 ? 'up' : 'down'}`;
    row.delta.textContent = `${places > 0 ? '▲' : '▼'}${Math.abs(places)}`;
    row.delta.title = `${places > 0 ? 'up' : 'down'} ${Math.abs(places)} place${Math.abs(places) === 1 ? '' : 's'}`;
    clearTimeout(row.deltaTimer);
    row.deltaTimer = setTimeout(() => {
      row.delta.textContent = '';
      row.delta.title = '';
    }, DELTA_MS);
  }

  /** Empties the table without any highlight: another board or period is about to be shown. */
  function resetRows() {
    for (const row of rowsByUser.values()) {
      clearTimeout(row.flashTimer);
      clearTimeout(row.deltaTimer);
    }
    rowsByUser.clear();
    el.rows.replaceChildren();
    el.empty.hidden = true;
    rendered = false;
  }

  /** Updates the table in place: changed rows flash, moved rows slide to their new place. */
  function render(entries, timestamp) {
    const meWasInTop = Boolean(me && me.userId && rowsByUser.has(me.userId));
    const animate = rendered && !reducedMotion.matches && typeof Element.prototype.animate === 'function';
    const before = new Map();
    if (animate) for (const [userId, row] of rowsByUser) before.set(userId, row.tr.getBoundingClientRect().top);

    const seen = new Set();
    const ordered = [];
    const news = [];
    for (const entry of entries) {
      if (!entry || typeof entry.userId !== 'string' || seen.has(entry.userId)) continue;
      seen.add(entry.userId);
      const rank = Number(entry.rank);
      const value = Number(entry.score);
      const name = typeof entry.username === 'string' && entry.username !== '' ? entry.username : entry.userId;
      let row = rowsByUser.get(entry.userId);
      if (!row) {
        row = createRow(entry.userId);
        rowsByUser.set(entry.userId, row);
        if (rendered) {
          flash(row, 'entered');
          news.push(`${name} entered the top 10 at rank ${rank} with ${withUnit(value)}`);
        }
      } else if (row.rank !== rank || row.value !== value) {
        flash(row, 'changed', row.value !== value);
        if (row.rank !== rank) {
          showDelta(row, row.rank - rank);
          news.push(`${name} ${rank < row.rank ? 'moved up' : 'moved down'} to rank ${rank} with ${withUnit(value)}`);
        } else {
          news.push(`${name} now has ${withUnit(value)}`);
        }
      }
      row.rank = rank;
      row.value = value;
      row.rankText.textContent = fmt(rank);
      if (row.name.textContent !== name) {
        row.name.textContent = name;
        row.name.title = name;
      }
      row.score.textContent = formatScore(value);
      row.tr.classList.toggle('me', Boolean(me && me.userId === entry.userId));
      if (me && me.userId === entry.userId && !isPastView()) updateMe({ rank, score: value });
      ordered.push(row);
    }
    for (const [userId, row] of rowsByUser) {
      if (seen.has(userId)) continue;
      row.tr.remove();
      clearTimeout(row.flashTimer);
      clearTimeout(row.deltaTimer);
      rowsByUser.delete(userId);
    }
    ordered.forEach((row, index) => {
      const current = el.rows.children[index];
      if (current !== row.tr) el.rows.insertBefore(row.tr, current || null);
    });

    if (animate) {
      // FLIP: start each moved row where it was and let it slide into place.
      for (const row of ordered) {
        const old = before.get(row.tr.dataset.userId);
        if (old === undefined) continue;
        const dy = old - row.tr.getBoundingClientRect().top;
        if (Math.abs(dy) < 1) continue;
        const layer = dy > 0 ? 'rising' : 'moving';
        row.tr.classList.add(layer);
        const slide = row.tr.animate([{ transform: `translateY(${dy}px)` }, { transform: 'translateY(0)' }], { duration: 450, easing: 'cubic-bezier(.2,.8,.2,1)' });
        slide.onfinish = slide.oncancel = () => row.tr.classList.remove(layer);
      }
    }

    el.empty.hidden = ordered.length > 0;
    showAroundIfUseful();
    // Pushed out of the top 10: the list around them is wanted now.
    if (meWasInTop && !rowsByUser.has(me.userId)) scheduleAround(true);
    const at = timestamp && !Number.isNaN(Date.parse(timestamp)) ? new Date(timestamp) : new Date();
    el.updated.dateTime = at.toISOString();
    el.updated.textContent = at.toLocaleTimeString();
    if (rendered && news.length > 0) {
      announce(news.length <= 3 ? `${news.join('. ')}.` : `Leaderboard updated: ${news.length} changes. ${news[0]}.`);
    }
    rendered = true;
  }

  // Screen readers hear a short summary of each change, at most one every few seconds.
  let lastAnnounced = 0;
  let pendingAnnouncement = null;
  let announceTimer = null;
  function announce(text) {
    pendingAnnouncement = text;
    if (announceTimer) return;
    const wait = Math.max(0, lastAnnounced + ANNOUNCE_GAP_MS - Date.now());
    announceTimer = setTimeout(() => {
      announceTimer = null;
      lastAnnounced = Date.now();
      el.announcer.textContent = pendingAnnouncement;
    }, wait);
  }


  // ---------------------------------------------------------------- the picker
  /** The board list in the picker; hidden while only the global board exists. */
  function renderBoardPicker() {
    const options = boards.map((board) => {
      const option = document.createElement('option');
      option.value = board.id;
      option.textContent = board.title || board.id;
      return option;
    });
    if (!boards.some((board) => board.id === view.boardId)) {
      const option = document.createElement('option');
      option.value = view.boardId;
      option.textContent = view.boardId;
      options.push(option);
    }
    el.boardPicker.replaceChildren(...options);
    el.boardPicker.value = view.boardId;
    el.picker.hidden = boards.length <= 1 && isGlobalView();
  }

  /** Current, previous, then the board's other kept periods that have entries, newest first. */
  function renderPeriodPicker() {
    const board = view.board;
    const resets = Boolean(board && board.reset);
    el.periodControl.hidden = !resets;
    if (!resets) return;
    const current = board.period;
    const previous = periods.find((period) => current && current.startsAt && period.endsAt === current.startsAt);
    const option = (value, text) => {
      const node = document.createElement('option');
      node.value = value;
      node.textContent = text;
      return node;
    };
    // The line under the pickers spells out the period shown; the options stay short enough for a phone.
    const options = [option('current', 'Current period'), option('previous', 'Previous period')];
    for (const period of periods) {
      if ((current && period.id === current.id) || (previous && period.id === previous.id)) continue;
      options.push(option(period.id, periodLabel(period, board)));
    }
    if (!options.some((node) => node.value === view.period)) {
      options.push(option(view.period, view.shown && view.shown.id === view.period ? periodLabel(view.shown, board) : view.period));
    }
    el.periodPicker.replaceChildren(...options);
    el.periodPicker.value = view.period;
  }

  /** What the board is: its order, how entries count, its reset, its season, its metadata. */
  function renderBoardInfo() {
    const board = view.board;
    const items = [];
    const item = (text, className) => {
      const li = document.createElement('li');
      if (className) li.className = className;
      li.textContent = text;
      items.push(li);
      return li;
    };
    if (board) {
      const lowest = board.sortOrder === 'asc';
      item(isDuration() ? (lowest ? 'Fastest time first' : 'Longest time first') : lowest ? 'Lowest first' : 'Highest first', 'order');
      const operator = isDuration() && board.operator === 'best' ? 'Best time counts' : OPERATORS[board.operator] || board.operator;
      item(board.id === GLOBAL ? 'Every action adds up' : operator);
      item(resetText(board));
      if (Number.isFinite(Number(board.totalEntries))) {
        const count = Number(board.totalEntries);
        item(`${fmt(count)} player${count === 1 ? '' : 's'}${board.reset ? ' this period' : ''}`, 'count');
      }
      if (board.startsAt) item(`${Date.parse(board.startsAt) > Date.now() ? 'Opens' : 'Opened'} ${timeFormat.format(new Date(board.startsAt))}`);
      if (board.endsAt) item(`${Date.parse(board.endsAt) > Date.now() ? 'Closes' : 'Closed'} ${timeFormat.format(new Date(board.endsAt))}`);
      const metadata = board.metadata && typeof board.metadata === 'object' ? board.metadata : {};
      for (const [key, value] of Object.entries(metadata).slice(0, 12)) {
        if (key === 'format' && value === 'duration-ms') continue; // shown as the times themselves
        const li = item('');
        const name = document.createElement('b');
        name.textContent = key;
        const text = document.createElement('bdi');
        text.textContent = metadataText(value);
        li.append(name, ': ', text);
        li.title = `${key}: ${metadataText(value)}`;
      }
    }
    el.boardInfo.replaceChildren(...items);
  }

  /** The title, the table's caption and headings, and the period line, for the board shown. */
  function renderChrome() {
    const board = view.board;
    const title = isGlobalView() ? 'Leaderboard' : (board && board.title) || view.boardId;
    el.title.textContent = title;
    document.title = isGlobalView() ? 'Scoreboard — live leaderboard' : `${title} — Scoreboard`;
    const lowest = board && board.sortOrder === 'asc';
    const what = isDuration() ? 'time' : 'score';
    el.caption.textContent = `Top ${TOP_LIMIT} players by ${what}, ${lowest ? 'lowest' : 'highest'} first`;
    el.scoreHeading.textContent = isDuration() ? 'Time' : 'Score';
    el.empty.textContent = board && board.reset ? 'No scores in this period yet.' : 'No scores yet.';
    renderMe();
    renderBoardInfo();
    renderPeriodPicker();
    renderPeriodLine();
  }

  /** The period shown and, for the current one, the time left until the next reset. */
  function renderPeriodLine() {
    const board = view.board;
    const shown = view.shown || (board && !isPastView() ? board.period : null);
    const hasPeriods = Boolean(board && (board.reset || board.endsAt || board.startsAt));
    el.periodLine.hidden = !hasPeriods;
    if (!hasPeriods) return;
    el.periodRange.textContent = board.reset ? periodLabel(shown, board) : '';
    tickCountdown();
  }

  let countdownTimer = null;
  /** Once a second while a countdown is on screen; at the boundary the page looks for the new period. */
  function tickCountdown() {
    clearTimeout(countdownTimer);
    countdownTimer = null;
    const board = view.board;
    if (!board || el.periodLine.hidden) return;
    const now = Date.now();
    let text = '';
    let target = null;
    if (isPastView()) {
      text = view.shown && view.shown.endsAt ? 'Ended' : '';
    } else if (board.startsAt && Date.parse(board.startsAt) > now) {
      target = Date.parse(board.startsAt);
      text = `Opens in ${formatCountdown(target - now)}`;
    } else if (board.reset && board.period && board.period.endsAt) {
      target = Date.parse(board.period.endsAt);
      text = target > now ? `Next reset in ${formatCountdown(target - now)}` : 'New period starting…';
      if (target <= now) void rollover(board.period.id);
    } else if (board.endsAt) {
      target = Date.parse(board.endsAt);
      text = target > now ? `Closes in ${formatCountdown(target - now)}` : 'Closed';
    }
    // A board with both a reset and a season end: no period runs past the season.
    if (board.reset && board.endsAt && Date.parse(board.endsAt) <= now && !isPastView()) text = 'Closed';
    el.countdown.textContent = text;
    el.countdown.dataset.state = target !== null && target - now < 10000 ? 'soon' : '';
    if (target !== null || (board.reset && !isPastView())) {
      countdownTimer = setTimeout(tickCountdown, 1000 - (now % 1000) + 20);
    }
  }

  /**
   * At a period boundary: when the board is followed live the server names the new period in a
   * `board:update` (within a second); otherwise, or if it does not, the board is read again over REST
   * until its current period is the new one (a client clock ahead of the server's is retried).
   */
  let rollingFrom = null;
  async function rollover(periodId) {
    if (rollingFrom === periodId) return;
    rollingFrom = periodId;
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

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * A fresh copy of the board shown (from the list, a read, or a rollover). When its current period
   * moved on, the current view starts over in the new one and the "previous" view follows too.
   */
  function applyBoard(board) {
    if (!board || board.id !== view.boardId) return;
    const before = view.board && view.board.period ? view.board.period.id : null;
    view.board = board;
    const index = boards.findIndex((known) => known.id === board.id);
    if (index >= 0) boards[index] = board;
    const moved = before !== null && board.period && board.period.id !== before;
    if (moved) {
      if (view.period === 'current') startPeriod(board.period);
      if (view.period === 'current' || view.period === 'previous') void fetchView();
      void fetchPeriods();
    }
    renderChrome();
  }

  /** The current view's period moved on: the table starts over in it, quietly. */
  function startPeriod(period) {
    if (view.shown && view.shown.id === period.id) return;
    const first = view.shown === null;
    view.shown = period;
    if (view.board && (!view.board.period || view.board.period.id !== period.id)) {
      view.board = { ...view.board, period, totalEntries: 0 };
      void fetchPeriods();
    }
    if (!first) {
      resetRows();
      if (me) updateMe({ rank: null, score: null, clear: true });
      renderAround([]);
      announce(`A new period started: ${periodLabel(period, view.board)}.`);
    }
    renderChrome();
  }

  el.boardPicker.addEventListener('change', () => {
    void selectView(el.boardPicker.value, 'current');
  });
  el.periodPicker.addEventListener('change', () => {
    void selectView(view.boardId, el.periodPicker.value);
  });

  /** Switches the page to another board or period: the table starts over, the live path follows. */
  async function selectView(boardId, period) {
    if (boardId === view.boardId && period === view.period && view.board) return;
    const boardChanged = boardId !== view.boardId;
    unsubscribeBoard();
    view.version += 1;
    view.boardId = boardId;
    view.period = boardId === GLOBAL ? 'current' : period;
    view.shown = null;
    if (boardChanged) {
      view.board = boards.find((board) => board.id === boardId) || null;
      periods = [];
    }
    liveVersion += 1;
    since = null;
    etags.clear();
    resetRows();
    renderAround([]);
    if (me) {
      me.rank = null;
      me.score = null;
    }
    viewToHash();
    renderBoardPicker();
    renderChrome();
    const version = view.version;
    if (!view.board) {
      // Named by the fragment and not in the list (yet): read it.
      const known = await fetchBoard(boardId);
      if (version !== view.version) return;
      if (!known) return;
    }
    void fetchView();
    if (!isGlobalView()) void fetchPeriods();
    refreshMe();
    subscribeBoard();
    syncPoller();
    updateStatus();
  }

  /** GET /api/v1/boards: the picker's list. */
  async function fetchBoards() {
    try {
      const response = await request(BOARDS_API);
      if (!response.ok) return; // private and anonymous: the global board alone, as before
      const { data } = await response.json();
      if (!data || !Array.isArray(data.boards)) return;
      const before = pickerKey();
      boards = data.boards.filter((board) => board && typeof board.id === 'string');
      const shown = boards.find((board) => board.id === view.boardId);
      if (shown) applyBoard(shown);
      // Rebuilt only when a board came, went or was renamed: a list open in the user's hand stays open.
      if (pickerKey() !== before || el.boardPicker.options.length === 0) renderBoardPicker();
    } catch {
      /* the picker stays as it was */
    }
  }

  const pickerKey = () => JSON.stringify(boards.map((board) => [board.id, board.title]));

  // Boards created, renamed or deleted while the page is open reach the picker within a minute.
  setInterval(() => {
    if (!document.hidden) void fetchBoards();
  }, BOARDS_REFRESH_MS);

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
      if (data && data.id === boardId && view.boardId === boardId) {
        view.board = data;
        if (!boards.some((board) => board.id === boardId)) boards.push(data);
        renderBoardPicker();
        renderChrome();
      }
      return true;
    } catch {
      return true;
    }
  }

  /** GET /api/v1/boards/:id/periods: the past periods offered by the period picker. */
  async function fetchPeriods() {
    if (isGlobalView() || !(view.board && view.board.reset)) return;
    const version = view.version;
    try {
      const response = await request(`${BOARDS_API}/${encodeURIComponent(view.boardId)}/periods?limit=50`);
      if (!response.ok || version !== view.version) return;
      const { data } = await response.json();
      if (version !== view.version || !data || !Array.isArray(data.periods)) return;
      periods = data.periods.filter((period) => period && typeof period.id === 'string');
      renderPeriodPicker();
    } catch {
      /* the picker keeps current and previous */
    }
  }

  // ---------------------------------------------------------------- connection state
  const conn = {
    live: false,
    everLive: false,
    attempt: 0,
    connectErrors: 0,
    /** The socket cannot connect: the page polls whatever it shows. */
    polling: false,
    pollFailures: 0,
    transport: '',
  };

  /** The board subscription of the socket: `pending` until acknowledged, `failed` when refused or unanswered. */
  const sub = { boardId: null, state: 'none', seq: null, generation: 0, retryTimer: null };

  /** The board shown is live but its subscription is not: it is polled beside a connected socket. */
  const boardFallback = () => isBoardLive() && conn.live && sub.state === 'failed';
  const pollerWanted = () => conn.polling || boardFallback();

  const setState = Scoreboard.stateSetter(el.state, el.detail);

  function updateStatus() {
    const attempt = conn.attempt > 0 ? ` (attempt ${conn.attempt})` : '';
    if (conn.live && isPastView()) {
      setState('archive', 'Past period', 'Final results of an ended period');
    } else if (conn.live && boardFallback()) {
      if (conn.pollFailures > 0) setState('offline', 'Offline — retrying…', 'Server unreachable');
      else setState('polling', 'Polling fallback', `Live updates of this board unavailable; checking every ${POLL_MS / 1000} s`);
    } else if (conn.live && isBoardLive() && sub.state !== 'ok') {
      setState('connecting', 'Connecting…', 'Subscribing to the board');
    } else if (conn.live) {
      setState('live', 'Live', conn.transport ? `Connected via ${conn.transport}` : '');
    } else if (navigator.onLine === false) {
      setState('offline', 'Offline', 'Waiting for the network');
    } else if (conn.polling && conn.pollFailures > 0) {
      setState('offline', 'Offline — retrying…', `Server unreachable${attempt}`);
    } else if (conn.polling) {
      setState('polling', 'Polling fallback', `Live connection unavailable; checking every ${POLL_MS / 1000} s${conn.attempt > 0 ? `, reconnect attempt ${conn.attempt}` : ''}`);
    } else if (conn.everLive || conn.attempt > 0) {
      setState('reconnecting', `Reconnecting…${attempt}`, '');
    } else {
      setState('connecting', 'Connecting…', '');
    }
  }

  // ---------------------------------------------------------------- REST
  function request(url, extraHeaders = {}) {
    const headers = { accept: 'application/json', ...extraHeaders };
    if (token) headers.authorization = `Bearer ${token}`;
    const options = { headers, cache: 'no-store', credentials: 'same-origin' };
    if (typeof AbortSignal !== 'undefined' && AbortSignal.timeout) options.signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    return fetch(url, options);
  }

  /** Counts live updates applied (and switches), so that a REST answer older than them is dropped. */
  let liveVersion = 0;

  /** Handles a 401: a rejected token is dropped (and the caller retries anonymously), else the board is private. */
  function unauthorized() {
    if (token) {
      forgetToken('Your player link was not accepted (expired or invalid); showing the public leaderboard.');
      if (socket) socket.disconnect().connect();
      return 'retry';
    }
    setPrivate(true);
    return 'private';
  }

  /** The current top 10 over REST (first paint, and after a gap in the live sequence). */
  async function fetchTop() {
    const version = liveVersion;
    const shown = view.version;
    try {
      const response = await request(`${API}/leaderboard?limit=${TOP_LIMIT}`);
      if (response.status === 401) {
        if (unauthorized() === 'retry') void fetchTop();
        return;
      }
      if (!response.ok) return;
      const { data } = await response.json();
      if (version !== liveVersion || shown !== view.version || !data || !Array.isArray(data.leaderboard)) return;
      setPrivate(false);
      render(data.leaderboard, data.timestamp);
    } catch {
      /* the live path or polling will fill it in */
    }
  }

  /** The ETag of the last board page shown, per URL: an unchanged page is a 304 with no body. */
  const etags = new Map();

  /**
   * The board period shown over REST: `ok` (shown or unchanged), `private`, `gone`, or it throws (a
   * network failure or a 5xx, counted by the poller). The global board is read by fetchTop.
   */
  async function fetchBoardEntries() {
    const version = liveVersion;
    const shown = view.version;
    const boardId = view.boardId;
    const url = `${BOARDS_API}/${encodeURIComponent(boardId)}/entries?limit=${TOP_LIMIT}&period=${encodeURIComponent(view.period)}`;
    const known = etags.get(url);
    const response = await request(url, known ? { 'if-none-match': known } : {});
    if (shown !== view.version) return 'ok';
    if (response.status === 304) return 'ok';
    if (response.status === 401) return unauthorized() === 'retry' ? fetchBoardEntries() : 'private';
    if (response.status === 404) {
      const { error } = await response.json().catch(() => ({ error: null }));
      if (shown !== view.version) return 'ok';
      if (error && error.code === 'PERIOD_NOT_FOUND') {
        resetRows();
        el.empty.textContent = 'This period is not kept any more.';
        el.empty.hidden = false;
        return 'ok';
      }
      showNotice(`The board "${boardId}" no longer exists; showing the global leaderboard.`, 'warn');
      boards = boards.filter((board) => board.id !== boardId);
      void selectView(GLOBAL, 'current');
      return 'gone';
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const etag = response.headers.get('etag');
    const { data } = await response.json();
    if (shown !== view.version || !data || !Array.isArray(data.entries)) return 'ok';
    if (isPrivate) setPrivate(false);
    if (version !== liveVersion) return 'ok'; // a live update came in meanwhile: it is newer
    if (etag) etags.set(url, etag);
    if (data.period && view.period === 'current') startPeriod(data.period);
    else if (data.period) {
      view.shown = data.period;
      renderPeriodLine();
      renderPeriodPicker();
    }
    if (view.board && view.period === 'current' && Number.isFinite(Number(data.totalEntries)) && view.board.totalEntries !== Number(data.totalEntries)) {
      view.board = { ...view.board, totalEntries: Number(data.totalEntries) };
      renderBoardInfo();
    }
    render(data.entries, new Date().toISOString());
    scheduleAround();
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

  // ---------------------------------------------------------------- polling
  let pollTimer = null;
  let pollGeneration = 0;
  let pollRunning = false;
  let since = null;

  /** The socket is down: poll whatever is shown until it is back. */
  function startPolling() {
    if (conn.polling) return;
    conn.polling = true;
    conn.pollFailures = 0;
    syncPoller();
    updateStatus();
  }

  function stopPolling() {
    if (!conn.polling) return;
    conn.polling = false;
    syncPoller();
    updateStatus();
  }

  /** Starts or stops the poll loop to match what the page needs now. */
  function syncPoller() {
    const wanted = pollerWanted();
    if (wanted === pollRunning) return;
    pollRunning = wanted;
    pollGeneration += 1;
    clearTimeout(pollTimer);
    pollTimer = null;
    if (wanted) {
      conn.pollFailures = 0;
      since = null;
      void poll(pollGeneration);
    }
  }

  function schedulePoll(generation, delay) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(() => void poll(generation), delay);
  }

  async function poll(generation) {
    pollTimer = null;
    const version = liveVersion;
    const shown = view.version;
    try {
      if (isGlobalView()) {
        const response = await request(`${API}/leaderboard/changes${since ? `?since=${encodeURIComponent(since)}` : ''}`);
        if (generation !== pollGeneration) return;
        if (response.status === 401) {
          if (unauthorized() === 'retry') return schedulePoll(generation, 0);
          conn.pollFailures = 0;
          updateStatus();
          return schedulePoll(generation, POLL_MAX_MS); // private: check now and then whether that changed
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const { data } = await response.json();
        if (generation !== pollGeneration) return;
        if (isPrivate) setPrivate(false);
        if (shown === view.version && isGlobalView()) {
          if (data.hasChanges && version === liveVersion) {
            render(data.leaderboard, data.lastUpdated);
            scheduleAround();
          }
          since = data.lastUpdated;
        }
      } else {
        const result = await fetchBoardEntries();
        if (generation !== pollGeneration) return;
        if (result === 'private') {
          conn.pollFailures = 0;
          updateStatus();
          return schedulePoll(generation, POLL_MAX_MS);
        }
      }
      if (conn.pollFailures > 0) {
        retrySocketNow();
        refreshMe();
      }
      conn.pollFailures = 0;
    } catch {
      if (generation !== pollGeneration) return;
      conn.pollFailures += 1;
    }
    updateStatus();
    let delay = conn.pollFailures === 0 ? POLL_MS : Math.min(POLL_MAX_MS, POLL_MS * 2 ** conn.pollFailures);
    if (document.hidden) delay = Math.max(delay, HIDDEN_POLL_MS);
    schedulePoll(generation, delay);
  }

  // ---------------------------------------------------------------- board subscription
  /**
   * Subscribes the socket to the board shown (its current period). The board is live once the server
   * acks ok; an error ack, or none within SUBSCRIBE_TIMEOUT_MS (a server without board events), leaves
   * it to the poller, and, unless the refusal is final (private board, bad request), it is asked again later.
   */
  function subscribeBoard() {
    clearTimeout(sub.retryTimer);
    if (!isBoardLive() || !socket || !socket.connected) return;
    const boardId = view.boardId;
    sub.generation += 1;
    const generation = sub.generation;
    sub.boardId = boardId;
    sub.state = 'pending';
    sub.seq = null;
    socket.timeout(SUBSCRIBE_TIMEOUT_MS).emit('board:subscribe', { boardId }, (error, ack) => {
      if (generation !== sub.generation) return;
      if (!error && ack && ack.ok === true) {
        sub.state = 'ok';
        if (ack.period && typeof ack.period.id === 'string' && view.board && view.board.period && ack.period.id !== view.board.period.id) {
          startPeriod(ack.period);
          void fetchView();
        }
      } else {
        sub.state = 'failed';
        const code = ack && ack.error && ack.error.code;
        if (error || !['UNAUTHORIZED', 'INVALID_REQUEST'].includes(code)) {
          // No answer (a server without board events yet, or busy), or a refusal that may pass (a board
          // this instance does not know yet, SERVICE_UNAVAILABLE): polled meanwhile, asked again later.
          sub.retryTimer = setTimeout(() => {
            if (generation === sub.generation && socket && socket.connected) subscribeBoard();
          }, SUBSCRIBE_RETRY_MS);
        }
      }
      syncPoller();
      updateStatus();
    });
    syncPoller();
    updateStatus();
  }

  function unsubscribeBoard() {
    clearTimeout(sub.retryTimer);
    if (sub.boardId && sub.state !== 'none' && socket && socket.connected) socket.emit('board:unsubscribe', { boardId: sub.boardId }, () => {});
    sub.generation += 1;
    sub.boardId = null;
    sub.state = 'none';
    sub.seq = null;
  }

  // ---------------------------------------------------------------- Socket.IO
  /** @type {any} */
  let socket = null;
  let lastSeq = null;
  /** For the cases where socket.io-client does not retry by itself (refused by the server). */
  const reconnect = Scoreboard.reconnector(() => socket);

  let clientRetries = 0;
  async function connectLive() {
    if (await Scoreboard.loadClient(CLIENT_SRC)) {
      startSocket();
      return;
    }
    // No client script (server without Socket.IO, blocked by a proxy, …): poll, and try again later.
    startPolling();
    const delay = CLIENT_RETRY_MS[Math.min(clientRetries, CLIENT_RETRY_MS.length - 1)];
    clientRetries += 1;
    setTimeout(() => void connectLive(), delay);
  }

  /**
   * The server answers again (a poll succeeded after failing): try the socket now rather than at
   * the end of its back-off. disconnect() first, so the manager drops its pending attempt and
   * back-off state (connect() alone during a back-off wait would leave it stuck).
   */
  function retrySocketNow() {
    if (!socket || socket.connected) return;
    reconnect.cancel();
    socket.disconnect().connect();
  }

  const transportName = () => Scoreboard.transportName(socket);

  /** Applies one broadcast's sequence number: 'repeat' (already shown), 'gap' (some were missed) or 'next'. */
  function sequence(holder, key, payload) {
    const seq = Number(payload.seq);
    const known = Number.isInteger(seq);
    if (known && holder[key] !== null && seq === holder[key]) return 'repeat';
    const gap = known && holder[key] !== null && seq !== holder[key] + 1;
    holder[key] = known ? seq : null;
    return gap ? 'gap' : 'next';
  }
  const seqs = { global: null };

  function startSocket() {
    socket = window.io({
      path: '/socket.io',
      // A function, so that each (re)connection sends the token as it is now.
      auth: (cb) => cb(token ? { token } : {}),
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 15000,
      randomizationFactor: 0.5,
      timeout: REQUEST_TIMEOUT_MS,
    });

    socket.on('connect', () => {
      const reconnected = conn.everLive;
      conn.live = true;
      conn.everLive = true;
      conn.attempt = 0;
      conn.connectErrors = 0;
      reconnect.reset();
      if (!socket.recovered) {
        seqs.global = null;
        // Events sent while this socket was away are lost: read the player's standing again.
        if (reconnected) refreshMe();
      }
      conn.transport = transportName();
      const engine = socket.io.engine;
      if (engine && !engine.__scoreboardWatched) {
        engine.__scoreboardWatched = true;
        engine.on('upgrade', () => {
          conn.transport = transportName();
          updateStatus();
        });
      }
      stopPolling();
      // A new session holds no board: subscribe again (a no-op for a recovered one that kept it).
      if (isBoardLive()) {
        subscribeBoard();
        if (reconnected && !socket.recovered) void fetchView();
      }
      updateStatus();
    });

    socket.on('disconnect', (reason) => {
      conn.live = false;
      clearTimeout(sub.retryTimer);
      if (sub.state !== 'none') {
        sub.generation += 1;
        sub.state = 'none';
      }
      syncPoller();
      updateStatus();
      // The server closed the socket on purpose: socket.io-client does not reconnect by itself.
      if (reason === 'io server disconnect') reconnect.later();
    });

    socket.on('connect_error', (error) => {
      conn.live = false;
      conn.connectErrors += 1;
      const message = error && error.message;
      if (!socket.active) {
        // Refused by the server's middleware.
        if (message === 'UNAUTHORIZED' && token) {
          forgetToken('Your player link was not accepted (expired or invalid); showing the public leaderboard.');
          socket.connect();
          return;
        }
        startPolling();
        reconnect.later();
      } else if (conn.connectErrors >= ERRORS_BEFORE_POLLING) {
        startPolling();
      }
      updateStatus();
    });

    socket.io.on('reconnect_attempt', (attempt) => {
      conn.attempt = attempt;
      updateStatus();
    });

    socket.on('leaderboard:update', (payload) => {
      if (!payload || !Array.isArray(payload.leaderboard)) return;
      const step = sequence(seqs, 'global', payload);
      if (step === 'repeat' || !isGlobalView()) return;
      liveVersion += 1;
      if (isPrivate) setPrivate(false);
      render(payload.leaderboard, payload.timestamp);
      scheduleAround();
      // Missed broadcasts: the payload is the latest top 10, but reconcile with the source of truth.
      if (step === 'gap') void fetchTop();
    });

    socket.on('board:update', (payload) => {
      if (!payload || !Array.isArray(payload.leaderboard) || payload.boardId !== view.boardId) return;
      if (!isBoardLive() || sub.boardId !== payload.boardId || sub.state === 'none') return;
      const step = sequence(sub, 'seq', payload);
      if (step === 'repeat') return;
      liveVersion += 1;
      if (isPrivate) setPrivate(false);
      // A period ended: the server names the new one, and the table starts over in it.
      if (payload.period && typeof payload.period.id === 'string') startPeriod(payload.period);
      render(payload.leaderboard, payload.timestamp);
      scheduleAround();
      if (step === 'gap') void fetchView();
    });

    socket.on('score:updated', (payload) => {
      if (!payload || !isGlobalView() || (me && me.userId && payload.userId !== me.userId)) return;
      meVersion += 1;
      updateMe({ userId: payload.userId, score: Number(payload.newScore), gain: Number(payload.increment) });
    });

    socket.on('rank:changed', (payload) => {
      if (!payload || (me && me.userId && payload.userId !== me.userId)) return;
      // One event per board the player moved on (`boardId` absent from servers before boards: global).
      const boardId = typeof payload.boardId === 'string' ? payload.boardId : GLOBAL;
      if (boardId !== view.boardId || isPastView()) return;
      if (payload.period && view.shown && payload.period.id && payload.period.id !== view.shown.id && !isGlobalView()) return;
      meVersion += 1;
      updateMe({ userId: payload.userId, rank: Number(payload.newRank), score: Number(payload.newScore) });
      scheduleAround(true);
    });
  }

  // ---------------------------------------------------------------- page lifecycle
  window.addEventListener('online', () => {
    updateStatus();
    if (pollRunning) schedulePoll(pollGeneration, 0);
    if (socket && !socket.connected && !socket.active) socket.connect();
  });
  window.addEventListener('offline', updateStatus);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && pollRunning) schedulePoll(pollGeneration, 0);
  });
  window.addEventListener('hashchange', () => {
    if (/(^#|&)token=/.test(location.hash)) {
      token = loadToken();
      hideNotice();
      setupMe();
      if (socket) socket.disconnect().connect();
      void fetchBoards();
    }
    const wanted = viewFromHash();
    if (wanted.boardId !== view.boardId || wanted.period !== view.period) void selectView(wanted.boardId, wanted.period);
    else void fetchView();
  });

  const initial = viewFromHash();
  setupMe();
  updateStatus();
  renderChrome();
  if (initial.boardId === GLOBAL) {
    void fetchTop();
    void fetchBoards();
  } else {
    // The board named by the link: shown once the list (or the board itself) is known.
    void fetchBoards().then(() => selectView(initial.boardId, initial.period));
  }
  void connectLive();
})();
