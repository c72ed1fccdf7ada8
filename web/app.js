// The live leaderboard page (no build step, no framework).
//
// Live path: the official Socket.IO client from /socket.io/socket.io.min.js, event
// `leaderboard:update` {leaderboard, timestamp, seq} (a gap in seq → refetch over REST), and for a
// player who opened the page with `#token=...`, `score:updated` and `rank:changed` for themselves.
// Fallback: polling GET /api/v1/scores/leaderboard/changes?since= while the socket cannot connect
// (after a couple of connect errors, or when the client script does not load); it stops as soon as
// the socket is live again. All text goes into the page through textContent: usernames are user input.
(() => {
  'use strict';

  const CLIENT_SRC = '/socket.io/socket.io.min.js';
  const API = '/api/v1/scores';
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
  };
  const numberFormat = new Intl.NumberFormat();
  const fmt = (value) => (Number.isFinite(value) ? numberFormat.format(value) : '—');
  const reducedMotion = window.matchMedia ? window.matchMedia('(prefers-reduced-motion: reduce)') : { matches: false };

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
  /** @type {{userId: string|null, username: string|null, rank: number|null, score: number|null}|null} */
  let me = null;
  /** Counts the player's live events, so that an older REST answer does not overwrite them. */
  let meVersion = 0;

  function setupMe() {
    if (!token) {
      me = null;
      el.me.hidden = true;
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
    if (userId) void fetchMe(userId);
  }

  function forgetToken(message) {
    token = null;
    storeToken(null);
    me = null;
    el.me.hidden = true;
    for (const row of rowsByUser.values()) row.tr.classList.remove('me');
    if (message) showNotice(message, 'warn');
  }

  /** The player's standing over REST: at start, and after a gap in the live events (reconnects). */
  async function fetchMe(userId) {
    const version = meVersion;
    try {
      const response = await request(`${API}/user/${encodeURIComponent(userId)}`);
      if (response.status === 401) return forgetToken('Your player link was not accepted; showing the public leaderboard.');
      if (!response.ok || !me || me.userId !== userId || version !== meVersion) return;
      const { data } = await response.json();
      updateMe({ rank: Number(data.rank), score: Number(data.score) });
    } catch {
      /* the live events fill it in */
    }
  }

  function refreshMe() {
    if (me && me.userId) void fetchMe(me.userId);
  }

  function updateMe({ rank, score, gain, userId }) {
    if (!me) return;
    if (userId && !me.userId) me.userId = userId;
    if (Number.isFinite(rank)) me.rank = rank;
    if (Number.isFinite(score)) me.score = score;
    if (Number.isFinite(gain) && gain > 0) {
      el.meGain.textContent = `+${fmt(gain)}`;
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
    el.meScore.textContent = me.score === null ? '—' : fmt(me.score);
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

  /** Updates the table in place: changed rows flash, moved rows slide to their new place. */
  function render(entries, timestamp) {
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
          news.push(`${name} entered the top 10 at rank ${rank} with ${fmt(value)} points`);
        }
      } else if (row.rank !== rank || row.value !== value) {
        flash(row, 'changed', row.value !== value);
        if (row.rank !== rank) {
          showDelta(row, row.rank - rank);
          news.push(`${name} ${rank < row.rank ? 'moved up' : 'moved down'} to rank ${rank} with ${fmt(value)} points`);
        } else {
          news.push(`${name} now has ${fmt(value)} points`);
        }
      }
      row.rank = rank;
      row.value = value;
      row.rankText.textContent = fmt(rank);
      if (row.name.textContent !== name) {
        row.name.textContent = name;
        row.name.title = name;
      }
      row.score.textContent = fmt(value);
      row.tr.classList.toggle('me', Boolean(me && me.userId === entry.userId));
      if (me && me.userId === entry.userId) updateMe({ rank, score: value });
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

  // ---------------------------------------------------------------- connection state
  const conn = {
    live: false,
    everLive: false,
    attempt: 0,
    connectErrors: 0,
    polling: false,
    pollFailures: 0,
    transport: '',
  };

  const setState = Scoreboard.stateSetter(el.state, el.detail);

  function updateStatus() {
    const attempt = conn.attempt > 0 ? ` (attempt ${conn.attempt})` : '';
    if (conn.live) {
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
  function request(url) {
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const options = { headers, cache: 'no-store', credentials: 'same-origin' };
    if (typeof AbortSignal !== 'undefined' && AbortSignal.timeout) options.signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    return fetch(url, options);
  }

  /** Counts live updates applied, so that a REST answer older than a live update is dropped. */
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
    try {
      const response = await request(`${API}/leaderboard?limit=10`);
      if (response.status === 401) {
        if (unauthorized() === 'retry') void fetchTop();
        return;
      }
      if (!response.ok) return;
      const { data } = await response.json();
      if (version !== liveVersion || !data || !Array.isArray(data.leaderboard)) return;
      setPrivate(false);
      render(data.leaderboard, data.timestamp);
    } catch {
      /* the live path or polling will fill it in */
    }
  }

  let pollTimer = null;
  let pollGeneration = 0;
  let since = null;

  function startPolling() {
    if (conn.polling) return;
    conn.polling = true;
    conn.pollFailures = 0;
    since = null;
    pollGeneration += 1;
    updateStatus();
    void poll(pollGeneration);
  }

  function stopPolling() {
    if (!conn.polling) return;
    conn.polling = false;
    pollGeneration += 1;
    clearTimeout(pollTimer);
    pollTimer = null;
    updateStatus();
  }

  function schedulePoll(generation, delay) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(() => void poll(generation), delay);
  }

  async function poll(generation) {
    pollTimer = null;
    const version = liveVersion;
    try {
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
      if (data.hasChanges && version === liveVersion) render(data.leaderboard, data.lastUpdated);
      since = data.lastUpdated;
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
        lastSeq = null;
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
      updateStatus();
    });

    socket.on('disconnect', (reason) => {
      conn.live = false;
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
      const seq = Number(payload.seq);
      const known = Number.isInteger(seq);
      if (known && lastSeq !== null && seq === lastSeq) return; // the same broadcast again
      const gap = known && lastSeq !== null && seq !== lastSeq + 1;
      lastSeq = known ? seq : null;
      liveVersion += 1;
      if (isPrivate) setPrivate(false);
      render(payload.leaderboard, payload.timestamp);
      // Missed broadcasts: the payload is the latest top 10, but reconcile with the source of truth.
      if (gap) void fetchTop();
    });

    socket.on('score:updated', (payload) => {
      if (!payload || (me && me.userId && payload.userId !== me.userId)) return;
      meVersion += 1;
      updateMe({ userId: payload.userId, score: Number(payload.newScore), gain: Number(payload.increment) });
    });

    socket.on('rank:changed', (payload) => {
      if (!payload || (me && me.userId && payload.userId !== me.userId)) return;
      meVersion += 1;
      updateMe({ userId: payload.userId, rank: Number(payload.newRank), score: Number(payload.newScore) });
    });
  }

  // ---------------------------------------------------------------- page lifecycle
  window.addEventListener('online', () => {
    updateStatus();
    if (conn.polling) schedulePoll(pollGeneration, 0);
    if (socket && !socket.connected && !socket.active) socket.connect();
  });
  window.addEventListener('offline', updateStatus);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && conn.polling) schedulePoll(pollGeneration, 0);
  });
  window.addEventListener('hashchange', () => {
    if (!/(^#|&)token=/.test(location.hash)) return;
    token = loadToken();
    hideNotice();
    setupMe();
    if (socket) socket.disconnect().connect();
    void fetchTop();
  });

  setupMe();
  updateStatus();
  void fetchTop();
  void connectLive();
})();
