// The live page's table: the top 10 of the period shown, updated in place (changed rows flash, moved
// rows slide to their new place), and a short summary of each change for screen readers.
// `ScoreboardLive.table`.
(() => {
  'use strict';

  const L = window.ScoreboardLive;
  const { el, state: S } = L;
  const { HIGHLIGHT_MS } = L.consts;
  const { fmt } = L.format;
  const { isPastView, formatScore, withUnit, restartClass } = L.view;

  const DELTA_MS = 8000;
  const ANNOUNCE_GAP_MS = 3000;
  const reducedMotion = window.matchMedia ? window.matchMedia('(prefers-reduced-motion: reduce)') : { matches: false };

  /** @type {Map<string, {tr: HTMLTableRowElement, rankText: HTMLElement, delta: HTMLElement, name: HTMLElement, score: HTMLElement, rank: number, value: number, flashTimer?: number, deltaTimer?: number}>} */
  const rowsByUser = new Map();
  let rendered = false;

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

  function dropRow(userId, row) {
    row.tr.remove();
    clearTimeout(row.flashTimer);
    clearTimeout(row.deltaTimer);
    rowsByUser.delete(userId);
  }

  /** Empties the table without any highlight: another board or period is about to be shown. */
  function reset() {
    for (const row of rowsByUser.values()) {
      clearTimeout(row.flashTimer);
      clearTimeout(row.deltaTimer);
    }
    rowsByUser.clear();
    el.rows.replaceChildren();
    el.empty.hidden = true;
    rendered = false;
  }

  /** The row of one entry, created or updated, highlighted when it changed; what changed goes into `news`. */
  function applyEntry(entry, news) {
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
    const mine = Boolean(S.me && S.me.userId === entry.userId);
    row.tr.classList.toggle('me', mine);
    if (mine && !isPastView()) L.player.update({ rank, score: value });
    return row;
  }

  /** FLIP: each moved row starts where it was (`before`: its old top) and slides into place. */
  function slide(ordered, before) {
    for (const row of ordered) {
      const old = before.get(row.tr.dataset.userId);
      if (old === undefined) continue;
      const dy = old - row.tr.getBoundingClientRect().top;
      if (Math.abs(dy) < 1) continue;
      const layer = dy > 0 ? 'rising' : 'moving';
      row.tr.classList.add(layer);
      const motion = row.tr.animate([{ transform: `translateY(${dy}px)` }, { transform: 'translateY(0)' }], { duration: 450, easing: 'cubic-bezier(.2,.8,.2,1)' });
      motion.onfinish = motion.oncancel = () => row.tr.classList.remove(layer);
    }
  }

  /** Updates the table in place: changed rows flash, moved rows slide to their new place. */
  function render(entries, timestamp) {
    const me = S.me;
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
      ordered.push(applyEntry(entry, news));
    }
    for (const [userId, row] of rowsByUser) if (!seen.has(userId)) dropRow(userId, row);
    ordered.forEach((row, index) => {
      const current = el.rows.children[index];
      if (current !== row.tr) el.rows.insertBefore(row.tr, current || null);
    });
    if (animate) slide(ordered, before);

    el.empty.hidden = ordered.length > 0;
    L.player.showAroundIfUseful();
    // Pushed out of the top 10: the list around them is wanted now.
    if (meWasInTop && !rowsByUser.has(S.me.userId)) L.player.scheduleAround(true);
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

  /** The player's row is no longer theirs (the token was forgotten). */
  function unmarkMe() {
    for (const row of rowsByUser.values()) row.tr.classList.remove('me');
  }

  L.table = Object.freeze({ render, reset, announce, unmarkMe, has: (userId) => rowsByUser.has(userId) });
})();
