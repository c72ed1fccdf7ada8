// The live page's player: the token from the link, the "You" card and the players around them.
// `ScoreboardLive.player`. The token is taken from the fragment (never sent to the server in a URL),
// kept for this tab only, and removed from the address bar so that it does not end up in history,
// bookmarks or screenshots.
(() => {
  'use strict';

  const L = window.ScoreboardLive;
  const { el, state: S } = L;
  const { API, BOARDS_API, HIGHLIGHT_MS } = L.consts;
  const { fmt } = L.format;
  const { isGlobalView, isDuration, formatScore, request, showNotice, hideNotice, replaceFragment, restartClass } = L.view;

  const TOKEN_KEY = 'scoreboard.token';
  const AROUND_LIMIT = 5;
  const AROUND_DEBOUNCE_MS = 300;
  const AROUND_MIN_INTERVAL_MS = 5000;

  const { store: storeToken, stored: storedToken } = Scoreboard.tokenStore(TOKEN_KEY);

  /** The token the fragment brings (then removed from it), else the one this tab kept. */
  function loadToken() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.has('token')) {
      const value = (fragment.get('token') || '').trim();
      storeToken(Scoreboard.JWT_PATTERN.test(value) ? value : null);
      fragment.delete('token');
      replaceFragment(fragment);
    }
    return storedToken();
  }

  /** The card for the token's player (none without a token, or with an expired one). */
  function setup() {
    if (!S.token) {
      S.me = null;
      el.me.hidden = true;
      el.around.hidden = true;
      return;
    }
    const claims = Scoreboard.claimsOf(S.token);
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
      forget('Your player link has expired; showing the public leaderboard.');
      return;
    }
    const userId = typeof claims.userId === 'string' ? claims.userId : typeof claims.sub === 'string' ? claims.sub : null;
    // An identity provider's token names the player in `name` rather than `username`.
    const username = [claims.username, claims.name].find((value) => typeof value === 'string') || null;
    S.me = { userId, username, rank: null, score: null };
    el.meName.textContent = S.me.username || S.me.userId || 'Player';
    el.me.hidden = false;
    render();
    refresh();
  }

  function forget(message) {
    S.token = null;
    storeToken(null);
    S.me = null;
    el.me.hidden = true;
    el.around.hidden = true;
    L.table.unmarkMe();
    if (message) showNotice(message, 'warn');
  }

  /** The player's standing on the global board over REST: at start, and after a gap in the live events (reconnects). */
  async function fetchMe(userId) {
    const version = S.meVersion;
    const shown = S.view.version;
    try {
      const response = await request(`${API}/user/${encodeURIComponent(userId)}`);
      if (response.status === 401) return forget('Your player link was not accepted; showing the public leaderboard.');
      if (!response.ok || !S.me || S.me.userId !== userId || version !== S.meVersion || shown !== S.view.version) return;
      const { data } = await response.json();
      update({ rank: Number(data.rank), score: Number(data.score) });
    } catch {
      /* the live events fill it in */
    }
  }

  /** The players around the player in the period shown (their own entry among them), over REST. */
  async function fetchAround(userId) {
    const shown = S.view.version;
    const version = S.meVersion;
    const period = isGlobalView() ? '' : `&period=${encodeURIComponent(S.view.period)}`;
    try {
      const response = await request(`${BOARDS_API}/${encodeURIComponent(S.view.boardId)}/entries/${encodeURIComponent(userId)}/around?limit=${AROUND_LIMIT}${period}`);
      if (shown !== S.view.version || !S.me || S.me.userId !== userId) return;
      if (response.status === 404) {
        // No entry in this period (yet): nothing around them either.
        if (!isGlobalView()) update({ rank: null, score: null, clear: true });
        renderAround([]);
        return;
      }
      if (!response.ok) return;
      const { data } = await response.json();
      if (shown !== S.view.version || !data || !Array.isArray(data.entries)) return;
      renderAround(data.entries);
      const own = data.entries.find((entry) => entry && entry.userId === userId);
      // On the global board the player's own events (and /scores/user) are the source; elsewhere this is.
      if (own && !isGlobalView() && version === S.meVersion) update({ rank: Number(own.rank), score: Number(own.score) });
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
    const me = S.me;
    if (!me || !me.userId) return;
    if (!urgent && L.table.has(me.userId)) return;
    if (aroundTimer) {
      if (!urgent) return;
      clearTimeout(aroundTimer);
    }
    const wait = urgent ? AROUND_DEBOUNCE_MS : Math.max(AROUND_DEBOUNCE_MS, aroundAsked + AROUND_MIN_INTERVAL_MS - Date.now());
    aroundTimer = setTimeout(() => {
      aroundTimer = null;
      aroundAsked = Date.now();
      if (S.me && S.me.userId) void fetchAround(S.me.userId);
    }, wait);
  }

  function refresh() {
    if (!S.me || !S.me.userId) return;
    if (isGlobalView()) void fetchMe(S.me.userId);
    void fetchAround(S.me.userId);
  }

  let gainTimer = null;
  function update({ rank, score, gain, userId, clear = false }) {
    const me = S.me;
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
      clearTimeout(gainTimer);
      gainTimer = setTimeout(() => {
        el.meGain.textContent = '';
        el.me.classList.remove('bump');
      }, HIGHLIGHT_MS);
    }
    render();
  }

  function render() {
    const me = S.me;
    if (!me) return;
    el.meRank.textContent = me.rank ? `#${fmt(me.rank)}` : '—';
    el.meScore.textContent = me.score === null ? '—' : formatScore(me.score);
    el.meScoreLabel.textContent = isDuration() ? 'Time' : 'Score';
  }

  /** One row of the around-me list. */
  function aroundItem(entry) {
    const li = document.createElement('li');
    li.dataset.userId = entry.userId;
    if (S.me && entry.userId === S.me.userId) li.className = 'me';
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
    return li;
  }

  /** The around-me list: rebuilt at each answer (a handful of rows). */
  function renderAround(entries) {
    const items = entries.filter((entry) => entry && typeof entry.userId === 'string').map(aroundItem);
    el.aroundRows.replaceChildren(...items);
    aroundFresh = true;
    showAroundIfUseful();
  }

  /** Whether the list was read since the player was last in the top 10 (it is not kept up to date meanwhile). */
  let aroundFresh = false;

  /** The list is shown for a player ranked below the top 10 (in it, the table above already shows them). */
  function showAroundIfUseful() {
    const me = S.me;
    const inTop = Boolean(me && me.userId && L.table.has(me.userId));
    if (inTop) aroundFresh = false;
    el.around.hidden = !me || !me.userId || el.aroundRows.children.length === 0 || inTop || !aroundFresh;
  }

  el.forget.addEventListener('click', () => {
    forget(null);
    hideNotice();
    // Reconnect without the token so this socket stops receiving the player's events.
    if (S.socket) S.socket.disconnect().connect();
  });

  L.player = Object.freeze({ loadToken, setup, forget, refresh, update, render, renderAround, scheduleAround, showAroundIfUseful });
})();
