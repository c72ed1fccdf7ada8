// The admin dashboard at /admin (no build step, no framework; all text goes in through textContent:
// usernames, reasons and evidence are data, never markup).
//
// Sign-in: an admin JWT pasted by hand, kept in sessionStorage (this tab only) and checked against
// GET /api/v1/admin/suspicious-activity (401: not accepted; 403 NOT_ALLOWED: not an admin).
// Feed: that list (newest first, "load more" through `before`/`nextBefore`) plus the admin room's
// `suspicious:flagged` Socket.IO event, merged by flag id. While the socket is down, the first page
// is polled instead; after a reconnect that lost events, the first page is read again.
// Charts: GET /api/v1/admin/activity?seconds=300 every 2 s, drawn on <canvas> by hand.
// Player: GET /api/v1/scores/user/:id and .../history; the API reports a player's status (active or
// frozen) and whether they are hidden from boards only with their flags and in the freeze/unfreeze
// answers, so that is where both come from.
// Boards: web/admin-boards.js, built here with this file's request and markup helpers.
(() => {
  'use strict';

  const CLIENT_SRC = '/socket.io/socket.io.min.js';
  const ADMIN = '/api/v1/admin';
  const SCORES = '/api/v1/scores';
  const TOKEN_KEY = 'scoreboard.adminToken';
  const ACTIVITY_SECONDS = 300;
  const ACTIVITY_POLL_MS = 2000;
  const HIDDEN_POLL_MS = 10000;
  const FEED_POLL_MS = 5000;
  const FEED_PAGE = 50;
  const HISTORY_PAGE = 20;
  const REQUEST_TIMEOUT_MS = 8000;
  const FRESH_MS = 3000;
  const CLIENT_RETRY_MS = 15000;
  const USER_ID_PATTERN = /^[\x20-\x7e]{1,255}$/;

  const NOT_ACCEPTED = 'The token was not accepted: it is malformed, expired, or signed with another secret.';
  /** The server's words for a refused token (its `details.reason` says which check failed), else the generic line. */
  const notAccepted = (error) => (error && error.details && typeof error.details.reason === 'string' && error.message ? `The token was not accepted: ${error.message} (${error.details.reason}).` : NOT_ACCEPTED);
  const NOT_ADMIN = 'This token is valid but does not carry the admin role. Sign in with an admin token (for example from "scoreboard token --user ID --admin").';

  /** The anomaly detectors' reasons, in words. */
  const REASONS = {
    SCORE_VELOCITY: 'score growth far above the other players',
    MAX_SCORE_SHARE: 'most updates claim the maximum score',
    REGULAR_INTERVALS: 'machine-regular timing',
    IP_BURST: 'many client addresses',
    SIGNATURE_FAILURES: 'repeated bad signatures',
    TOO_FAST_REPEATED: 'repeatedly faster than the action allows',
  };
  /** Refusal reasons get fixed colours (readable on both palettes); others take the spares in turn. */
  const REASON_COLORS = {
    INVALID_SIGNATURE: '#e5484d',
    TOO_FAST: '#f2a33a',
    ACCOUNT_FROZEN: '#9b6bd6',
    RATE_LIMIT_EXCEEDED: '#2fa4c8',
    DUPLICATE_ACTION: '#14a38b',
    TIMESTAMP_OUT_OF_RANGE: '#d6409f',
    SCORE_VALIDATION_FAILED: '#b08968',
    INVALID_ACTION: '#8da33a',
    INVALID_REQUEST: '#6e7fd6',
  };
  const SPARE_COLORS = ['#e86f3c', '#5bb974', '#c7a20f', '#a16cbf', '#4f9fe0', '#d05f85'];
  const spareColors = new Map();

  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const el = {
    state: $('state'), who: $('who'), signOut: $('sign-out'), notice: $('notice'), detail: $('detail'),
    signin: $('signin'), signinForm: $('signin-form'), token: /** @type {HTMLTextAreaElement} */ ($('token')),
    signinSubmit: /** @type {HTMLButtonElement} */ ($('signin-submit')), signinError: $('signin-error'),
    dashboard: $('dashboard'),
    trafficSummary: $('traffic-summary'), trafficError: $('traffic-error'),
    chartApplied: /** @type {HTMLCanvasElement} */ ($('chart-applied')), chartRejected: /** @type {HTMLCanvasElement} */ ($('chart-rejected')),
    appliedNow: $('applied-now'), rejectedNow: $('rejected-now'), readoutApplied: $('readout-applied'), readoutRejected: $('readout-rejected'), legend: $('legend'),
    feed: $('feed'), feedEmpty: $('feed-empty'), feedError: $('feed-error'), feedMore: /** @type {HTMLButtonElement} */ ($('feed-more')), feedCount: $('feed-count'),
    lookupForm: $('lookup-form'), lookupId: /** @type {HTMLInputElement} */ ($('lookup-id')), lookupSubmit: /** @type {HTMLButtonElement} */ ($('lookup-submit')),
    lookupError: $('lookup-error'), player: $('player'), playerName: $('player-name'), playerId: $('player-id'), playerControl: $('player-control'),
    playerScore: $('player-score'), playerRank: $('player-rank'), playerTotal: $('player-total'), playerFirst: $('player-first'), playerLast: $('player-last'),
    playerFlags: $('player-flags'), history: $('history'), historyEmpty: $('history-empty'), historyMore: /** @type {HTMLButtonElement} */ ($('history-more')),
  };

  // ---------------------------------------------------------------- small helpers
  const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
  const fmt = (value) => (typeof value === 'number' && Number.isFinite(value) ? numberFormat.format(value) : '—');
  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const dateTimeFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  const enc = encodeURIComponent;

  /** A time as the page shows it: the clock for today, with the date otherwise. */
  function when(iso) {
    const date = new Date(iso);
    if (!iso || Number.isNaN(date.getTime())) return '—';
    return (date.toDateString() === new Date().toDateString() ? timeFormat : dateTimeFormat).format(date);
  }

  /** An element with text children only: strings become text nodes, never markup. */
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'className') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
    return node;
  }

  function duration(ms) {
    if (ms < 1000) return `${fmt(ms)} ms`;
    const seconds = ms / 1000;
    if (seconds < 60) return `${fmt(Math.round(seconds * 10) / 10)} s`;
    const minutes = seconds / 60;
    if (minutes < 60) return `${fmt(Math.round(minutes * 10) / 10)} min`;
    return `${fmt(Math.round((minutes / 60) * 10) / 10)} h`;
  }

  /** The evidence on one line: `failures 3 · window 5 min`. */
  function evidenceText(details) {
    if (!details || typeof details !== 'object') return '';
    return Object.entries(details)
      .map(([key, value]) => {
        let text;
        if (typeof value === 'number') text = /Ms$/.test(key) ? duration(value) : fmt(value);
        else if (Array.isArray(value)) text = value.length > 3 ? `${value.slice(0, 3).join(', ')} +${value.length - 3} more` : value.join(', ');
        else if (value && typeof value === 'object') text = JSON.stringify(value);
        else text = String(value);
        if (text.length > 80) text = `${text.slice(0, 79)}…`;
        const name = key.replace(/Ms$/, '').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
        return `${name} ${text}`;
      })
      .join(' · ');
  }

  function showNotice(text, kind) {
    el.notice.textContent = text;
    el.notice.dataset.kind = kind || 'info';
    el.notice.hidden = false;
  }
  function hideNotice() {
    el.notice.hidden = true;
  }

  // ---------------------------------------------------------------- the token
  // Kept in sessionStorage (this tab only), in memory when storage is disabled.
  const { store: storeToken, stored: storedToken } = Scoreboard.tokenStore(TOKEN_KEY);
  const { claimsOf } = Scoreboard;

  /** The signed-in token, or null. */
  let token = null;
  /** Bumped at every sign-in and sign-out: answers to an older session are dropped. */
  let session = 0;

  // ---------------------------------------------------------------- REST
  /** One request; resolves to `{ok, status, data}` or `{ok: false, status, error: {code, message, details}}`. */
  async function api(path, { method = 'GET', body, auth = token } = {}) {
    const headers = { accept: 'application/json' };
    if (auth) headers.authorization = `Bearer ${auth}`;
    const options = { method, headers, cache: 'no-store', credentials: 'same-origin' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    if (typeof AbortSignal !== 'undefined' && AbortSignal.timeout) options.signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    let response;
    try {
      response = await fetch(path, options);
    } catch (error) {
      const timedOut = error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return { ok: false, status: 0, error: { code: 'NETWORK', message: timedOut ? 'the server did not answer in time' : 'the server could not be reached' } };
    }
    let json = null;
    try {
      json = await response.json();
    } catch {
      /* not JSON: a proxy's page, say */
    }
    if (response.ok && json && json.success) return { ok: true, status: response.status, data: json.data };
    const error = json && json.error && typeof json.error === 'object' ? json.error : { code: `HTTP_${response.status}`, message: `HTTP ${response.status}` };
    return { ok: false, status: response.status, error };
  }

  const isNotAllowed = (result) => result.status === 403 && result.error && result.error.details && result.error.details.reason === 'NOT_ALLOWED';

  /** A request of the signed-in session: a 401 or NOT_ALLOWED ends it; `stale` means "drop this answer". */
  async function call(path, options) {
    const started = session;
    const result = await api(path, options);
    if (started !== session) return { ...result, stale: true };
    if (!result.ok && (result.status === 401 || isNotAllowed(result))) {
      signOut(result.status === 401 ? `Signed out: ${notAccepted(result.error)}` : `Signed out: ${NOT_ADMIN}`, 'error');
      return { ...result, stale: true };
    }
    return { ...result, stale: false };
  }

  function messageOf(error) {
    if (!error) return 'unknown error';
    if (error.code === 'USER_NOT_FOUND') return 'no such player (never seen, or erased)';
    if (error.code === 'INVALID_REQUEST' && error.details) {
      const fields = Array.isArray(error.details.fields) ? error.details.fields.map((field) => field.field || field.path || '').filter(Boolean) : [];
      return fields.length > 0 ? `${error.message} (${fields.join(', ')})` : error.message;
    }
    if (error.code === 'RATE_LIMIT_EXCEEDED') return 'too many requests; try again in a moment';
    return error.message || error.code;
  }

  // ---------------------------------------------------------------- players' status
  /** What is known about players: username, status (`active`/`frozen`) and hidden, from flags and freeze answers. */
  const players = new Map();
  function infoOf(userId) {
    let info = players.get(userId);
    if (!info) {
      info = { username: null, status: null, hidden: null };
      players.set(userId, info);
    }
    return info;
  }

  /** Every status badge with its Freeze/Unfreeze controls on the page. */
  const controls = new Set();

  function learn(userId, { username, status, hidden, refresh }) {
    const info = infoOf(userId);
    if (username && username !== info.username) {
      info.username = username;
      for (const row of feed.rows.values()) if (row.entry.userId === userId) renderWho(row);
    }
    const newStatus = (status === 'active' || status === 'frozen') && (status !== info.status || refresh);
    const newHidden = typeof hidden === 'boolean' && hidden !== info.hidden;
    if (newStatus) info.status = status;
    if (newHidden) info.hidden = hidden;
    if (!newStatus && !newHidden) return;
    for (const control of controls) {
      if (!control.root.isConnected) controls.delete(control);
      else if (control.userId === userId) {
        if (newStatus && status === 'frozen') control.formOpen = false;
        renderControl(control);
      }
    }
  }

  /** A status badge and Freeze (with an inline reason form) / Unfreeze buttons for `userId`. */
  function statusControl(userId) {
    const control = { userId, formOpen: false, busy: false };
    control.badge = h('span', { className: 'badge' });
    control.freeze = h('button', { type: 'button', className: 'danger freeze', onclick: () => openForm(control) }, 'Freeze');
    control.unfreeze = h('button', { type: 'button', className: 'unfreeze', onclick: () => void setFrozen(control, false) }, 'Unfreeze');
    control.input = h('input', { type: 'text', name: 'reason', maxlength: 500, required: true, autocomplete: 'off', placeholder: 'why (kept with the account)' });
    control.hide = h('input', { type: 'checkbox', name: 'hide' });
    control.hiddenTag = h('span', { className: 'hidden-tag', title: 'Off every board (global included) until unfrozen; the entries are kept' }, 'Hidden from boards');
    control.confirm = h('button', { type: 'submit', className: 'danger confirm' }, 'Confirm freeze');
    control.cancel = h('button', { type: 'button', className: 'cancel', onclick: () => closeForm(control) }, 'Cancel');
    control.form = h(
      'form',
      { className: 'freeze-form', novalidate: true, onsubmit: (event) => (event.preventDefault(), void submitFreeze(control)) },
      h('label', {}, 'Reason for freezing', control.input),
      h('label', { className: 'check', title: 'The entries are kept and come back, unchanged, with the unfreeze' }, control.hide, 'Hide from boards'),
      control.confirm,
      control.cancel,
    );
    control.form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeForm(control);
    });
    control.error = h('p', { className: 'error', role: 'status' });
    control.root = h('div', { className: 'control user-status', dataset: { userId } }, control.badge, control.hiddenTag, control.freeze, control.unfreeze, control.form, control.error);
    controls.add(control);
    renderControl(control);
    return control.root;
  }

  function renderControl(control) {
    const { status } = infoOf(control.userId);
    control.badge.dataset.status = status || 'unknown';
    control.badge.textContent = status === 'frozen' ? 'Frozen' : status === 'active' ? 'Active' : 'Status unknown';
    control.badge.title = status ? '' : 'The API reports a status with a player\'s flags and when freezing or unfreezing';
    control.hiddenTag.hidden = !(status === 'frozen' && infoOf(control.userId).hidden === true);
    control.freeze.hidden = control.formOpen || status === 'frozen';
    control.unfreeze.hidden = control.formOpen || status === 'active';
    control.form.hidden = !control.formOpen;
    for (const button of [control.freeze, control.unfreeze, control.confirm, control.cancel]) button.disabled = control.busy;
    control.input.disabled = control.busy;
    control.hide.disabled = control.busy;
  }

  function openForm(control) {
    control.formOpen = true;
    control.error.textContent = '';
    renderControl(control);
    control.input.focus();
  }

  function closeForm(control) {
    control.formOpen = false;
    control.input.value = '';
    control.hide.checked = false;
    control.error.textContent = '';
    renderControl(control);
    control.freeze.focus();
  }

  async function submitFreeze(control) {
    const reason = control.input.value.trim();
    if (!reason) {
      control.error.textContent = 'Give a reason: it is stored with the account and shown to whoever unfreezes it.';
      control.input.focus();
      return;
    }
    await setFrozen(control, true, reason);
  }

  async function setFrozen(control, frozen, reason) {
    control.busy = true;
    control.error.textContent = '';
    renderControl(control);
    const path = `${ADMIN}/users/${enc(control.userId)}/${frozen ? 'freeze' : 'unfreeze'}`;
    const body = frozen ? (control.hide.checked ? { reason, hide: true } : { reason }) : {};
    const result = await call(path, { method: 'POST', body });
    if (result.stale) return;
    control.busy = false;
    if (result.ok) {
      control.formOpen = false;
      control.input.value = '';
      control.hide.checked = false;
      // Unfreezing always unhides.
      learn(control.userId, { status: result.data.status, hidden: result.data.hidden === true, refresh: true });
      if (boards) boards.statusChanged(control.userId, { status: result.data.status, hidden: result.data.hidden === true });
      renderControl(control);
      const other = frozen ? control.unfreeze : control.freeze;
      if (!other.hidden) other.focus();
    } else {
      renderControl(control);
      control.error.textContent = `Could not ${frozen ? 'freeze' : 'unfreeze'}: ${messageOf(result.error)}.`;
    }
  }

  // ---------------------------------------------------------------- the suspicious-activity feed
  const feed = {
    /** @type {Map<number, {li: HTMLElement, entry: any, name: HTMLElement, id: HTMLElement}>} */
    rows: new Map(),
    nextBefore: null,
    loaded: false,
    loadingMore: false,
  };

  function renderWho(row) {
    const { username } = infoOf(row.entry.userId);
    // Isolated: a name's right-to-left text never runs into the id shown beside it.
    row.name.replaceChildren(h('bdi', {}, username || row.entry.userId));
    row.id.textContent = username ? row.entry.userId : '';
    row.id.hidden = !username;
  }

  function flagRow(entry, live) {
    const name = h('button', { type: 'button', className: 'link player', title: 'Look this player up' });
    name.addEventListener('click', () => void lookup(entry.userId, true));
    const id = h('span', { className: 'mono player-id' });
    const label = REASONS[entry.reason];
    const li = h(
      'li',
      { className: `flag${live ? ' live fresh' : ''}`, dataset: { id: String(entry.id), userId: entry.userId } },
      h('time', { className: 'time', datetime: entry.createdAt }, when(entry.createdAt)),
      h('div', { className: 'who' }, live ? h('span', { className: 'new-tag' }, 'new') : null, name, id),
      h('div', { className: 'reason' }, h('code', {}, entry.reason), label ? ` — ${label}` : ''),
      h('div', { className: 'evidence', title: JSON.stringify(entry.details || {}, null, 2) }, evidenceText(entry.details) || 'no details'),
      statusControl(entry.userId),
    );
    if (live) setTimeout(() => li.classList.remove('fresh'), FRESH_MS);
    const row = { li, entry, name, id };
    renderWho(row);
    return row;
  }

  /** Adds a flag in id order (newest first); a flag already shown is left alone. */
  function addFlag(entry, live) {
    if (!entry || !Number.isInteger(entry.id) || typeof entry.userId !== 'string' || feed.rows.has(entry.id)) return false;
    const row = flagRow(entry, live);
    let next = null;
    for (const child of el.feed.children) {
      if (Number(child.dataset.id) < entry.id) {
        next = child;
        break;
      }
    }
    el.feed.insertBefore(row.li, next);
    feed.rows.set(entry.id, row);
    return true;
  }

  function renderFeedMeta() {
    el.feedEmpty.hidden = !feed.loaded || feed.rows.size > 0;
    el.feedMore.hidden = feed.nextBefore === null;
    el.feedCount.textContent = feed.rows.size > 0 ? `${fmt(feed.rows.size)} shown${feed.nextBefore !== null ? ', more below' : ''}` : '';
  }

  function clearFeed() {
    feed.rows.clear();
    feed.nextBefore = null;
    feed.loaded = false;
    el.feed.replaceChildren();
    el.feedError.textContent = '';
    renderFeedMeta();
  }

  /** A page from GET suspicious-activity: `head` for the newest page, else an older one. */
  function applyFeedPage(data, { head, live }) {
    const activity = Array.isArray(data.activity) ? data.activity : [];
    for (const entry of activity) learn(entry.userId, { username: entry.username, status: entry.status, hidden: entry.hidden });
    if (head && feed.loaded && data.nextBefore !== null && activity.length > 0) {
      // A full page entirely newer than what is shown: flags may be missing in between, start over.
      const newest = Math.max(0, ...feed.rows.keys());
      if (activity[activity.length - 1].id > newest) {
        for (const row of feed.rows.values()) row.li.remove();
        feed.rows.clear();
        feed.nextBefore = data.nextBefore;
      }
    }
    for (const entry of activity) addFlag(entry, live);
    if (!head || !feed.loaded) feed.nextBefore = data.nextBefore;
    feed.loaded = true;
    renderFeedMeta();
  }

  /** Reads the newest page again (after a reconnect that lost events, or while the socket is down). */
  let feedHeadInFlight = false;
  async function refreshFeedHead() {
    if (!token || feedHeadInFlight) return;
    feedHeadInFlight = true;
    const result = await call(`${ADMIN}/suspicious-activity?limit=${FEED_PAGE}`);
    feedHeadInFlight = false;
    if (result.stale) return;
    if (!result.ok) {
      el.feedError.textContent = `Could not refresh the feed: ${messageOf(result.error)}.`;
      return;
    }
    el.feedError.textContent = '';
    applyFeedPage(result.data, { head: true, live: feed.loaded });
  }

  el.feedMore.addEventListener('click', async () => {
    if (feed.loadingMore || feed.nextBefore === null) return;
    feed.loadingMore = true;
    el.feedMore.disabled = true;
    const result = await call(`${ADMIN}/suspicious-activity?limit=${FEED_PAGE}&before=${feed.nextBefore}`);
    feed.loadingMore = false;
    el.feedMore.disabled = false;
    if (result.stale) return;
    if (!result.ok) {
      el.feedError.textContent = `Could not load more: ${messageOf(result.error)}.`;
      return;
    }
    el.feedError.textContent = '';
    applyFeedPage(result.data, { head: false, live: false });
  });

  /** Username and status of a player first seen through a live flag (which carries neither). */
  const infoRequests = new Set();
  async function fetchInfo(userId) {
    if (infoRequests.has(userId)) return;
    infoRequests.add(userId);
    const result = await call(`${ADMIN}/suspicious-activity?userId=${enc(userId)}&limit=1`);
    infoRequests.delete(userId);
    if (result.stale || !result.ok) return;
    const [latest] = result.data.activity || [];
    if (latest) learn(userId, { username: latest.username, status: latest.status, hidden: latest.hidden });
  }

  function onFlagged(flag) {
    if (!flag || !Number.isInteger(flag.id) || typeof flag.userId !== 'string') return;
    const info = infoOf(flag.userId);
    if (flag.frozen) learn(flag.userId, { status: 'frozen' });
    if (!addFlag(flag, true)) return;
    renderFeedMeta();
    if (!info.username || !info.status) void fetchInfo(flag.userId);
  }

  // ---------------------------------------------------------------- player lookup
  const player = { userId: null, nextBefore: null, request: 0, loadingMore: false };

  function historyRow(entry) {
    return h(
      'tr',
      {},
      h('td', {}, h('time', { datetime: entry.createdAt }, when(entry.createdAt))),
      h('td', { className: 'mono' }, entry.actionType),
      h('td', { className: 'num inc' }, `+${fmt(entry.scoreIncrement)}`),
      h('td', { className: 'num' }, fmt(entry.scoreAfter)),
      h('td', { className: 'mono hide-narrow', title: entry.userAgent || '' }, entry.ipAddress || '—'),
    );
  }

  function applyHistory(data, append) {
    const rows = (data && Array.isArray(data.history) ? data.history : []).map(historyRow);
    if (append) el.history.append(...rows);
    else el.history.replaceChildren(...rows);
    player.nextBefore = data ? data.nextBefore : null;
    el.historyEmpty.hidden = el.history.children.length > 0;
    el.historyMore.hidden = player.nextBefore === null;
  }

  function flagsText(activity, more) {
    if (activity.length === 0) return 'No flags raised for this player.';
    const counts = new Map();
    for (const entry of activity) counts.set(entry.reason, (counts.get(entry.reason) || 0) + 1);
    const list = [...counts].map(([reason, count]) => (count > 1 ? `${reason} ×${count}` : reason)).join(', ');
    return `${activity.length}${more ? '+' : ''} flag${activity.length === 1 ? '' : 's'}: ${list}; latest ${when(activity[0].createdAt)}.`;
  }

  async function lookup(userId, fromFeed) {
    userId = userId.trim();
    el.lookupError.textContent = '';
    if (!USER_ID_PATTERN.test(userId)) {
      el.lookupError.textContent = 'A player id is 1 to 255 printable ASCII characters.';
      return;
    }
    if (fromFeed) {
      el.lookupId.value = userId;
      el.player.closest('section').scrollIntoView({ behavior: 'smooth', block: 'start' });
    }
    const request = ++player.request;
    el.lookupSubmit.disabled = true;
    const [user, history, flags] = await Promise.all([
      call(`${SCORES}/user/${enc(userId)}`),
      call(`${SCORES}/user/${enc(userId)}/history?limit=${HISTORY_PAGE}`),
      call(`${ADMIN}/suspicious-activity?userId=${enc(userId)}&limit=20`),
    ]);
    if (request !== player.request || user.stale || history.stale || flags.stale) return;
    el.lookupSubmit.disabled = false;
    if (!user.ok) {
      el.player.hidden = true;
      player.userId = null;
      el.lookupError.textContent = user.error && user.error.code === 'USER_NOT_FOUND' ? `No player with the id "${userId}".` : `Could not look up the player: ${messageOf(user.error)}.`;
      return;
    }
    const data = user.data;
    player.userId = data.userId;
    const activity = flags.ok && Array.isArray(flags.data.activity) ? flags.data.activity : [];
    for (const entry of activity) learn(entry.userId, { username: entry.username, status: entry.status, hidden: entry.hidden });
    learn(data.userId, { username: data.username });
    el.playerName.textContent = data.username || data.userId;
    el.playerId.textContent = data.userId;
    el.playerScore.textContent = fmt(data.score);
    el.playerRank.textContent = Number.isFinite(data.rank) ? `#${fmt(data.rank)}` : '—';
    el.playerTotal.textContent = fmt(data.totalActions);
    el.playerFirst.textContent = data.firstAction ? when(data.firstAction) : '—';
    el.playerLast.textContent = data.lastAction ? when(data.lastAction) : '—';
    el.playerFlags.textContent = flags.ok ? flagsText(activity, flags.data.nextBefore !== null) : `Flags could not be read: ${messageOf(flags.error)}.`;
    el.playerControl.replaceChildren(statusControl(data.userId));
    // A player who exists but never scored has no history (the route answers 404 for them).
    applyHistory(history.ok ? history.data : null, false);
    if (!history.ok && history.error && history.error.code !== 'USER_NOT_FOUND') {
      el.lookupError.textContent = `Could not read the history: ${messageOf(history.error)}.`;
    }
    el.player.hidden = false;
  }

  el.lookupForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void lookup(el.lookupId.value, false);
  });

  el.historyMore.addEventListener('click', async () => {
    if (player.loadingMore || player.nextBefore === null || !player.userId) return;
    const { userId, request } = player;
    player.loadingMore = true;
    el.historyMore.disabled = true;
    const result = await call(`${SCORES}/user/${enc(userId)}/history?limit=${HISTORY_PAGE}&before=${player.nextBefore}`);
    player.loadingMore = false;
    el.historyMore.disabled = false;
    if (result.stale || request !== player.request) return;
    if (!result.ok) {
      el.lookupError.textContent = `Could not load more history: ${messageOf(result.error)}.`;
      return;
    }
    applyHistory(result.data, true);
  });

  function clearPlayer() {
    player.request += 1;
    player.userId = null;
    player.nextBefore = null;
    el.player.hidden = true;
    el.history.replaceChildren();
    el.lookupError.textContent = '';
    el.lookupSubmit.disabled = false;
  }

  // ---------------------------------------------------------------- boards (web/admin-boards.js)
  const boards = window.ScoreboardAdminBoards && window.ScoreboardAdminBoards.create ? window.ScoreboardAdminBoards.create({ call, h, fmt, statusControl }) : null;

  // ---------------------------------------------------------------- charts
  const charts = { seconds: null, hover: null, timer: null, inFlight: false, updatedAt: null };

  function colors() {
    const style = getComputedStyle(document.documentElement);
    const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    return { accent: read('--accent', '#2456c7'), muted: read('--muted', '#5d6470'), line: read('--line', '#e2e5ea'), fg: read('--fg', '#16181d') };
  }

  function reasonColor(reason) {
    if (REASON_COLORS[reason]) return REASON_COLORS[reason];
    if (!spareColors.has(reason)) spareColors.set(reason, SPARE_COLORS[spareColors.size % SPARE_COLORS.length]);
    return spareColors.get(reason);
  }

  /** Sizes the canvas to its box at the screen's pixel density; null while it is not laid out. */
  function surface(canvas) {
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return null;
    const ratio = Math.min(window.devicePixelRatio || 1, 3);
    const pixelWidth = Math.round(width * ratio);
    const pixelHeight = Math.round(height * ratio);
    if (canvas.width !== pixelWidth || canvas.height !== pixelHeight) {
      canvas.width = pixelWidth;
      canvas.height = pixelHeight;
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    return { ctx, width, height };
  }

  /** A y axis with about three steps of a round size (1, 2, 5 × 10^k). */
  function niceScale(max) {
    if (!(max > 0)) return { step: 1, top: 1 };
    const rough = max / 3;
    const magnitude = 10 ** Math.floor(Math.log10(rough));
    const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough));
    return { step, top: Math.ceil(max / step) * step };
  }

  function geometry(area, count, top) {
    const left = 36;
    const right = area.width - 6;
    const upper = 8;
    const base = area.height - 20;
    const slot = (right - left) / Math.max(1, count);
    return {
      left, right, upper, base, slot,
      x: (i) => left + (i + 0.5) * slot,
      y: (value) => base - ((base - upper) * value) / top,
      index: (px) => Math.max(0, Math.min(count - 1, Math.floor((px - left) / slot))),
    };
  }

  function drawFrame(ctx, geo, scale, seconds, palette) {
    ctx.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let value = 0; value <= scale.top; value += scale.step) {
      const y = Math.round(geo.y(value)) + 0.5;
      ctx.strokeStyle = palette.line;
      ctx.beginPath();
      ctx.moveTo(geo.left, y);
      ctx.lineTo(geo.right, y);
      ctx.stroke();
      ctx.fillStyle = palette.muted;
      ctx.fillText(fmt(value), geo.left - 6, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    let lastLabel = -Infinity;
    seconds.forEach((entry, i) => {
      if (entry.second % 60 !== 0) return;
      const x = geo.x(i);
      if (x - lastLabel < 64 || x < geo.left + 24 || x > geo.right - 24) return;
      lastLabel = x;
      ctx.strokeStyle = palette.line;
      ctx.beginPath();
      ctx.moveTo(Math.round(x) + 0.5, geo.base);
      ctx.lineTo(Math.round(x) + 0.5, geo.base + 4);
      ctx.stroke();
      ctx.fillStyle = palette.muted;
      ctx.fillText(clockFormat.format(new Date(entry.second * 1000)), x, geo.base + 5);
    });
  }

  function drawCursor(ctx, geo, palette) {
    if (charts.hover === null) return;
    const x = Math.round(geo.x(charts.hover)) + 0.5;
    ctx.save();
    ctx.strokeStyle = palette.fg;
    ctx.globalAlpha = 0.5;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(x, geo.upper);
    ctx.lineTo(x, geo.base);
    ctx.stroke();
    ctx.restore();
  }

  function drawEmpty(ctx, geo, text, palette) {
    ctx.fillStyle = palette.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, (geo.left + geo.right) / 2, (geo.upper + geo.base) / 2);
  }

  const rejectedTotal = (entry) => Object.values(entry.rejected || {}).reduce((sum, n) => sum + n, 0);

  /** Applied per second: the total and the busiest second. */
  function appliedFigures(seconds) {
    let total = 0;
    let peak = 0;
    for (const entry of seconds) {
      total += entry.applied;
      peak = Math.max(peak, entry.applied);
    }
    return { total, peak };
  }

  /** Refused per second: the count of each reason (most frequent first), the total and the busiest second. */
  function refusedFigures(seconds) {
    const byReason = new Map();
    let peak = 0;
    for (const entry of seconds) {
      for (const [reason, count] of Object.entries(entry.rejected || {})) byReason.set(reason, (byReason.get(reason) || 0) + count);
      peak = Math.max(peak, rejectedTotal(entry));
    }
    const reasons = [...byReason.keys()].sort((a, b) => byReason.get(b) - byReason.get(a) || (a < b ? -1 : 1));
    const total = [...byReason.values()].reduce((sum, count) => sum + count, 0);
    return { byReason, reasons, total, peak };
  }

  /** Applied per second: an area under a line. */
  function drawApplied(seconds, applied, palette) {
    const area = surface(el.chartApplied);
    if (!area) return;
    const { ctx } = area;
    const n = seconds.length;
    const scale = niceScale(applied.peak);
    const geo = geometry(area, n, scale.top);
    drawFrame(ctx, geo, scale, seconds, palette);
    if (applied.total > 0) {
      ctx.beginPath();
      ctx.moveTo(geo.x(0), geo.base);
      seconds.forEach((entry, i) => ctx.lineTo(geo.x(i), geo.y(entry.applied)));
      ctx.lineTo(geo.x(n - 1), geo.base);
      ctx.closePath();
      ctx.globalAlpha = 0.25;
      ctx.fillStyle = palette.accent;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.beginPath();
      seconds.forEach((entry, i) => (i === 0 ? ctx.moveTo(geo.x(i), geo.y(entry.applied)) : ctx.lineTo(geo.x(i), geo.y(entry.applied))));
      ctx.strokeStyle = palette.accent;
      ctx.lineWidth = 1.5;
      ctx.lineJoin = 'round';
      ctx.stroke();
    } else {
      drawEmpty(ctx, geo, 'No score updates applied in this window', palette);
    }
    drawCursor(ctx, geo, palette);
  }

  /** Refused per second: bars stacked by reason, the most frequent reason at the bottom. */
  function drawRejected(seconds, refused, palette) {
    const area = surface(el.chartRejected);
    if (!area) return;
    const { ctx } = area;
    const scale = niceScale(refused.peak);
    const geo = geometry(area, seconds.length, scale.top);
    drawFrame(ctx, geo, scale, seconds, palette);
    if (refused.total > 0) {
      const width = Math.max(1, geo.slot >= 3 ? geo.slot - 1 : geo.slot);
      seconds.forEach((entry, i) => {
        let below = 0;
        for (const reason of refused.reasons) {
          const count = (entry.rejected || {})[reason] || 0;
          if (!count) continue;
          const y0 = geo.y(below);
          const y1 = geo.y(below + count);
          ctx.fillStyle = reasonColor(reason);
          ctx.fillRect(geo.x(i) - width / 2, y1, width, Math.max(1, y0 - y1));
          below += count;
        }
      });
    } else {
      drawEmpty(ctx, geo, 'No refusals in this window', palette);
    }
    drawCursor(ctx, geo, palette);
  }

  /** The legend, the figures and the charts' labels as text (also for screen readers). */
  function describeCharts(seconds, applied, refused) {
    const { byReason, reasons } = refused;
    el.legend.replaceChildren(
      ...reasons.map((reason) => {
        const swatch = h('span', { className: 'swatch', 'aria-hidden': 'true' });
        swatch.style.background = reasonColor(reason);
        return h('li', { dataset: { reason } }, swatch, h('code', {}, reason), ` ${fmt(byReason.get(reason))}`);
      }),
    );
    const n = seconds.length;
    const last = seconds[n - 1];
    el.appliedNow.textContent = `total ${fmt(applied.total)} · peak ${fmt(applied.peak)}/s`;
    el.rejectedNow.textContent = `total ${fmt(refused.total)} · peak ${fmt(refused.peak)}/s`;
    el.chartApplied.dataset.total = String(applied.total);
    el.chartRejected.dataset.total = String(refused.total);
    el.chartApplied.setAttribute('aria-label', `Applied score updates per second over the last ${duration(n * 1000)}: ${fmt(applied.total)} in all, at most ${fmt(applied.peak)} per second, ${fmt(last.applied)} in the last second.`);
    el.chartRejected.setAttribute(
      'aria-label',
      `Refused score updates per second over the last ${duration(n * 1000)}: ${fmt(refused.total)} in all${reasons.length ? `; ${reasons.map((r) => `${r} ${fmt(byReason.get(r))}`).join(', ')}` : ''}.`,
    );
  }

  /** The readouts under the charts: the second under the pointer, else the last one. */
  function renderReadouts(seconds) {
    if (charts.hover !== null && seconds[charts.hover]) {
      const entry = seconds[charts.hover];
      const at = timeFormat.format(new Date(entry.second * 1000));
      const parts = Object.entries(entry.rejected || {}).map(([reason, count]) => `${reason} ${fmt(count)}`);
      el.readoutApplied.textContent = `${at}: ${fmt(entry.applied)} applied`;
      el.readoutRejected.textContent = `${at}: ${fmt(rejectedTotal(entry))} refused${parts.length ? ` (${parts.join(', ')})` : ''}`;
    } else {
      const last = seconds[seconds.length - 1];
      el.readoutApplied.textContent = `Last second: ${fmt(last.applied)} applied`;
      el.readoutRejected.textContent = `Last second: ${fmt(rejectedTotal(last))} refused`;
    }
  }

  function drawCharts() {
    const seconds = charts.seconds;
    if (!seconds || seconds.length === 0 || el.dashboard.hidden) return;
    const palette = colors();
    const applied = appliedFigures(seconds);
    const refused = refusedFigures(seconds);
    drawApplied(seconds, applied, palette);
    drawRejected(seconds, refused, palette);
    describeCharts(seconds, applied, refused);
    renderReadouts(seconds);
    el.trafficSummary.textContent = charts.updatedAt ? `updated ${timeFormat.format(charts.updatedAt)}` : '';
  }

  let drawQueued = false;
  function queueDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => {
      drawQueued = false;
      drawCharts();
    });
  }

  for (const canvas of [el.chartApplied, el.chartRejected]) {
    const pick = (event) => {
      if (!charts.seconds) return;
      const rect = canvas.getBoundingClientRect();
      const geo = geometry({ width: rect.width, height: rect.height }, charts.seconds.length, 1);
      const x = event.clientX - rect.left;
      const next = x < geo.left || x > geo.right ? null : geo.index(x);
      if (next !== charts.hover) {
        charts.hover = next;
        queueDraw();
      }
    };
    canvas.addEventListener('pointermove', pick);
    canvas.addEventListener('pointerdown', pick);
    canvas.addEventListener('pointerleave', () => {
      charts.hover = null;
      queueDraw();
    });
  }
  if (typeof ResizeObserver === 'function') new ResizeObserver(queueDraw).observe(el.chartApplied);
  else window.addEventListener('resize', queueDraw);
  if (window.matchMedia) window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', queueDraw);

  function scheduleActivity(delay) {
    clearTimeout(charts.timer);
    charts.timer = setTimeout(() => void pollActivity(), delay);
  }

  async function pollActivity() {
    if (!token || charts.inFlight) return;
    charts.inFlight = true;
    const result = await call(`${ADMIN}/activity?seconds=${ACTIVITY_SECONDS}`);
    charts.inFlight = false;
    if (result.stale) return;
    if (result.ok && Array.isArray(result.data.seconds)) {
      charts.seconds = result.data.seconds;
      charts.updatedAt = new Date();
      el.trafficError.textContent = '';
      drawCharts();
    } else if (!result.ok) {
      el.trafficError.textContent = `Could not refresh the charts: ${messageOf(result.error)}. Retrying.`;
    }
    scheduleActivity(document.hidden ? HIDDEN_POLL_MS : ACTIVITY_POLL_MS);
  }

  function stopActivity() {
    clearTimeout(charts.timer);
    charts.timer = null;
    charts.seconds = null;
    charts.hover = null;
    charts.updatedAt = null;
    el.legend.replaceChildren();
    el.trafficError.textContent = '';
    el.trafficSummary.textContent = '';
    for (const canvas of [el.chartApplied, el.chartRejected]) {
      const ctx = canvas.getContext('2d');
      if (ctx) ctx.clearRect(0, 0, canvas.width, canvas.height);
    }
  }

  // ---------------------------------------------------------------- connection state and Socket.IO
  const conn = { live: false, everLive: false, attempt: 0, clientMissing: false, transport: '' };

  const setState = Scoreboard.stateSetter(el.state, el.detail);

  function updateStatus() {
    if (!token) return setState('idle', 'Signed out', '');
    const attempt = conn.attempt > 0 ? ` (attempt ${conn.attempt})` : '';
    const fallback = `new flags are read every ${FEED_POLL_MS / 1000} s until it is back`;
    if (conn.live) setState('live', 'Live', conn.transport ? `Live feed connected via ${conn.transport}` : 'Live feed connected');
    else if (navigator.onLine === false) setState('offline', 'Offline', 'Waiting for the network');
    else if (conn.clientMissing) setState('offline', 'No live connection', `The Socket.IO client did not load; ${fallback}`);
    else if (conn.everLive || conn.attempt > 0) setState('reconnecting', `Reconnecting…${attempt}`, `Live connection lost; ${fallback}`);
    else setState('connecting', 'Connecting…', '');
  }

  /** @type {any} */
  let socket = null;
  let feedPollTimer = null;
  /** For the cases where socket.io-client does not retry by itself (refused or closed by the server). */
  const reconnect = Scoreboard.reconnector(() => socket);

  /** While the socket is not live, the feed's first page is polled so that no flag waits for it. */
  function startFeedPolling() {
    if (feedPollTimer || !token) return;
    feedPollTimer = setInterval(() => void refreshFeedHead(), FEED_POLL_MS);
  }
  function stopFeedPolling() {
    clearInterval(feedPollTimer);
    feedPollTimer = null;
  }

  async function connectLive(started) {
    const loaded = await Scoreboard.loadClient(CLIENT_SRC);
    if (started !== session) return;
    if (!loaded) {
      conn.clientMissing = true;
      updateStatus();
      startFeedPolling();
      setTimeout(() => {
        if (started === session) void connectLive(started);
      }, CLIENT_RETRY_MS);
      return;
    }
    conn.clientMissing = false;
    startSocket(started);
  }

  const transportName = () => Scoreboard.transportName(socket);

  function startSocket(started) {
    const current = Scoreboard.openSocket(() => token, REQUEST_TIMEOUT_MS, { forceNew: true });
    socket = current;
    const mine = () => socket === current && started === session;

    current.on('connect', () => {
      if (!mine()) return;
      conn.live = true;
      conn.everLive = true;
      conn.attempt = 0;
      reconnect.reset();
      conn.transport = transportName();
      const engine = current.io.engine;
      if (engine) {
        engine.on('upgrade', () => {
          conn.transport = transportName();
          updateStatus();
        });
      }
      stopFeedPolling();
      updateStatus();
      // Flags raised while this socket was not in the admin room are not replayed: read them.
      if (!current.recovered) void refreshFeedHead();
    });

    current.on('disconnect', (reason) => {
      if (!mine()) return;
      conn.live = false;
      startFeedPolling();
      updateStatus();
      if (reason === 'io server disconnect') reconnect.later();
    });

    current.on('connect_error', (error) => {
      if (!mine()) return;
      conn.live = false;
      if (!current.active) {
        if (error && error.message === 'UNAUTHORIZED') {
          signOut(`Signed out: ${NOT_ACCEPTED}`, 'error');
          return;
        }
        reconnect.later();
      }
      startFeedPolling();
      updateStatus();
    });

    current.io.on('reconnect_attempt', (attempt) => {
      if (!mine()) return;
      conn.attempt = attempt;
      updateStatus();
    });

    current.on('suspicious:flagged', (flag) => {
      if (mine()) onFlagged(flag);
    });
  }

  function stopSocket() {
    reconnect.cancel();
    stopFeedPolling();
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
      socket = null;
    }
    Object.assign(conn, { live: false, everLive: false, attempt: 0, clientMissing: false, transport: '' });
  }

  // ---------------------------------------------------------------- sign in and out
  function showSignedIn(claims) {
    // Only a label: whether the token is an admin's is the server's answer (signIn), never read here.
    const name = ['username', 'name', 'userId', 'sub'].map((claim) => claims[claim]).find((value) => typeof value === 'string') || 'admin';
    el.who.textContent = `Signed in as ${name}`;
    el.who.title = typeof claims.exp === 'number' ? `Token expires ${dateTimeFormat.format(new Date(claims.exp * 1000))}` : '';
    el.who.hidden = false;
    el.signOut.hidden = false;
    el.signin.hidden = true;
    el.dashboard.hidden = false;
  }

  function showSignedOut() {
    el.who.hidden = true;
    el.signOut.hidden = true;
    el.dashboard.hidden = true;
    el.signin.hidden = false;
  }

  async function signIn(candidate, restoring) {
    el.signinError.textContent = '';
    if (!Scoreboard.JWT_PATTERN.test(candidate)) {
      el.signinError.textContent = 'That does not look like a JWT (three base64url parts separated by dots).';
      return;
    }
    el.signinSubmit.disabled = true;
    const attempt = ++session;
    const result = await api(`${ADMIN}/suspicious-activity?limit=${FEED_PAGE}`, { auth: candidate });
    if (attempt !== session) return;
    el.signinSubmit.disabled = false;
    if (!result.ok) {
      const reason = result.status === 401 ? notAccepted(result.error) : isNotAllowed(result) ? NOT_ADMIN : `Could not sign in: ${messageOf(result.error)}.`;
      el.signinError.textContent = reason;
      // A stored token the server refused is dropped; one that could not be checked is kept for a retry.
      if (restoring && result.status !== 0) storeToken(null);
      if (restoring && result.status === 0) el.token.value = candidate;
      showSignedOut();
      updateStatus();
      el.token.focus();
      return;
    }
    token = candidate;
    storeToken(candidate);
    el.token.value = '';
    hideNotice();
    showSignedIn(claimsOf(candidate));
    clearFeed();
    applyFeedPage(result.data, { head: true, live: false });
    updateStatus();
    void pollActivity();
    if (boards) boards.start();
    void connectLive(session);
  }

  function signOut(message, kind) {
    session += 1;
    token = null;
    storeToken(null);
    stopSocket();
    stopActivity();
    if (boards) boards.stop();
    clearFeed();
    clearPlayer();
    el.lookupId.value = '';
    players.clear();
    controls.clear();
    infoRequests.clear();
    feedHeadInFlight = false;
    charts.inFlight = false;
    showSignedOut();
    updateStatus();
    if (message) showNotice(message, kind);
    else hideNotice();
  }

  el.signinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn(el.token.value.trim().replace(/^Bearer\s+/i, ''), false);
  });
  // Enter signs in (Shift+Enter would only add a line break a token does not need).
  el.token.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      el.signinForm.requestSubmit();
    }
  });
  el.signOut.addEventListener('click', () => {
    signOut('Signed out. The token was removed from this tab.', 'info');
    el.token.focus();
  });

  // ---------------------------------------------------------------- page lifecycle
  window.addEventListener('online', () => {
    updateStatus();
    if (token && !charts.inFlight) scheduleActivity(0);
    if (socket && !socket.connected && !socket.active) socket.connect();
  });
  window.addEventListener('offline', updateStatus);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && token && !charts.inFlight) scheduleActivity(0);
  });

  updateStatus();
  const saved = storedToken();
  if (saved) {
    el.signin.hidden = true;
    setState('connecting', 'Signing in…', '');
    void signIn(saved, true);
  } else {
    showSignedOut();
  }
})();
