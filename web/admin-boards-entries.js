// The admin dashboard's boards section, one entry: GET /api/v1/boards/:boardId/entries/:userId?period,
// then "remove this entry" (DELETE /api/v1/admin/boards/:boardId/entries/:userId?period, with the
// period id the lookup answered, so that a reset in between cannot remove another period's entry).
// Part of `window.ScoreboardAdminBoards` (see admin-boards.js).
(() => {
  'use strict';

  const ns = (window.ScoreboardAdminBoards = window.ScoreboardAdminBoards || {});
  const enc = encodeURIComponent;
  const PERIODS_SUGGESTED = 20;
  const USER_ID_PATTERN = /^[\x20-\x7e]{1,255}$/;

  /** A score as its board shows it: a time on a `duration-ms` board, else a number. */
  function formatScore(fmt, board, score) {
    if (!board || !board.metadata || board.metadata.format !== 'duration-ms' || !Number.isFinite(score)) return fmt(score);
    const sign = score < 0 ? '-' : '';
    const ms = Math.abs(score);
    const minutes = Math.floor(ms / 60000);
    const seconds = Math.floor((ms % 60000) / 1000);
    const rest = String(ms % 1000).padStart(3, '0');
    return `${sign}${minutes}:${String(seconds).padStart(2, '0')}.${rest} (${fmt(score)} ms)`;
  }

  // ---------------------------------------------------------------- the board and period boxes
  /** The board box's choices: every board listed, `global` first. */
  function renderBoardChoices(entries) {
    const { el, h, state } = entries.ctx;
    const chosen = el.entryBoard.value;
    const options = [...state.boards.values()]
      .sort((a, b) => (a.id === 'global' ? -1 : b.id === 'global' ? 1 : a.id < b.id ? -1 : 1))
      .map((board) => h('option', { value: board.id }, board.title === board.id ? board.id : `${ns.format.isolate(board.title)} (${board.id})`));
    const same = options.length === el.entryBoard.options.length && options.every((option, i) => el.entryBoard.options[i].value === option.value && el.entryBoard.options[i].textContent === option.textContent);
    if (same) return;
    el.entryBoard.replaceChildren(...options);
    if (chosen && state.boards.has(chosen)) el.entryBoard.value = chosen;
    void suggestPeriods(entries);
  }

  /** The board's kept periods as suggestions for the period box (current and previous first). */
  async function suggestPeriods(entries) {
    const { el, h, fmt, state, call, api } = entries.ctx;
    const boardId = el.entryBoard.value;
    if (!boardId || entries.periodsFor === boardId) return;
    entries.periodsFor = boardId;
    const board = state.boards.get(boardId);
    const base = ['current'].concat(board && board.reset ? ['previous'] : []);
    el.entryPeriods.replaceChildren(...base.map((value) => h('option', { value })));
    if (!board || !board.reset) return;
    const result = await call(`${api.boards}/${enc(boardId)}/periods?limit=${PERIODS_SUGGESTED}`);
    if (result.stale || !result.ok || entries.periodsFor !== boardId) return;
    const periods = Array.isArray(result.data.periods) ? result.data.periods : [];
    el.entryPeriods.replaceChildren(
      ...base.map((value) => h('option', { value })),
      ...periods.map((period) => h('option', { value: period.id }, `${ns.format.periodText(period, board.timezone)} · ${fmt(period.totalEntries)} entries`)),
    );
  }

  // ---------------------------------------------------------------- lookup
  function clearEntry(entries) {
    const { el } = entries.ctx;
    entries.request += 1;
    entries.entry = null;
    el.entry.hidden = true;
    el.entryConfirm.hidden = true;
    el.entryRemove.hidden = false;
    el.entryControl.replaceChildren();
    el.entrySubmit.disabled = false;
  }

  /** False (with the reason shown) when the lookup cannot be asked. */
  function canLookUp(el, boardId, userId) {
    if (!boardId) {
      el.entryError.textContent = 'Choose a board.';
      el.entryBoard.focus();
      return false;
    }
    if (!USER_ID_PATTERN.test(userId)) {
      el.entryError.textContent = 'A player id is 1 to 255 printable ASCII characters.';
      el.entryUser.focus();
      return false;
    }
    return true;
  }

  function lookupErrorText(error, boardId, period, userId) {
    if (error.code === 'USER_NOT_FOUND') return `"${userId}" has no entry on ${boardId} in ${period || 'the current'} period (or is hidden from boards).`;
    if (error.code === 'PERIOD_NOT_FOUND') return `Board ${boardId} has no kept period "${period}".`;
    if (error.code === 'BOARD_NOT_FOUND') return `There is no board "${boardId}" any more.`;
    return `Could not look up the entry: ${error.message || error.code || 'unknown error'}.`;
  }

  async function lookupEntry(entries, boardId, period, userId) {
    const { el, call, api } = entries.ctx;
    el.entryError.textContent = '';
    el.entryStatus.textContent = '';
    if (!canLookUp(el, boardId, userId)) return;
    const request = ++entries.request;
    el.entrySubmit.disabled = true;
    const query = period ? `?period=${enc(period)}` : '';
    const result = await call(`${api.boards}/${enc(boardId)}/entries/${enc(userId)}${query}`);
    if (result.stale || request !== entries.request) return;
    el.entrySubmit.disabled = false;
    if (!result.ok) {
      entries.entry = null;
      el.entry.hidden = true;
      el.entryError.textContent = lookupErrorText(result.error || {}, boardId, period, userId);
      return;
    }
    showEntry(entries, result.data);
  }

  /** `data`: the lookup's answer, {boardId, period, entry, totalEntries, topPercent}. */
  function showEntry(entries, data) {
    const { el, fmt, state, statusControl } = entries.ctx;
    const { when, periodText } = ns.format;
    entries.entry = data;
    const board = state.boards.get(data.boardId);
    const { entry } = data;
    el.entryName.textContent = entry.username || entry.userId;
    el.entryUserId.textContent = entry.userId;
    el.entryRank.textContent = `#${fmt(entry.rank)} of ${fmt(data.totalEntries)}`;
    el.entryScore.textContent = formatScore(fmt, board, entry.score);
    el.entryTop.textContent = `top ${fmt(data.topPercent)} %`;
    el.entryPeriodText.textContent = periodText(data.period, board && board.timezone);
    el.entryPeriodText.title = data.period.id === 'all' ? '' : `Period ${data.period.id}, shown in ${(board && board.timezone) || 'UTC'}`;
    el.entryUpdated.textContent = when(entry.lastUpdated);
    el.entryControl.replaceChildren(statusControl(entry.userId));
    el.entryConfirm.hidden = true;
    el.entryRemove.hidden = false;
    el.entry.dataset.boardId = data.boardId;
    el.entry.dataset.userId = entry.userId;
    el.entry.dataset.period = data.period.id;
    el.entry.hidden = false;
  }

  // ---------------------------------------------------------------- removal
  /** "Remove this entry" asks first: whose entry, on which board and period. */
  function askRemove(entries) {
    const { el, h, fmt, state } = entries.ctx;
    if (!entries.entry) return;
    const { entry, boardId, period } = entries.entry;
    el.entryConfirmText.replaceChildren(
      'Remove the entry of ',
      h('bdi', {}, entry.username || entry.userId),
      ` (${formatScore(fmt, state.boards.get(boardId), entry.score)}, rank #${fmt(entry.rank)}) from ${boardId}, ${period.id === 'all' ? 'all time' : `period ${ns.format.periodText(period, (state.boards.get(boardId) || {}).timezone)}`}? The player's history is kept.`,
    );
    el.entryRemove.hidden = true;
    el.entryConfirm.hidden = false;
    el.entryRemoveConfirm.focus();
  }

  function closeRemove(el) {
    el.entryConfirm.hidden = true;
    el.entryRemove.hidden = false;
    el.entryRemove.focus();
  }

  async function removeEntry(entries) {
    const { ctx } = entries;
    const { el } = ctx;
    if (!entries.entry) return;
    const { boardId, period, entry } = entries.entry;
    el.entryRemoveConfirm.disabled = true;
    el.entryRemoveCancel.disabled = true;
    const result = await ctx.call(`${ctx.api.adminBoards}/${enc(boardId)}/entries/${enc(entry.userId)}?period=${enc(period.id)}`, { method: 'DELETE' });
    el.entryRemoveConfirm.disabled = false;
    el.entryRemoveCancel.disabled = false;
    if (result.stale || !ctx.state.active) return;
    if (!result.ok && !(result.error && result.error.code === 'USER_NOT_FOUND')) {
      el.entryError.textContent = `Could not remove the entry: ${result.error && result.error.message ? result.error.message : 'unknown error'}.`;
      return;
    }
    clearEntry(entries);
    el.entryStatus.textContent = `Removed the entry of ${entry.userId} from ${boardId} (${period.id === 'all' ? 'all time' : `period ${period.id}`}).`;
    el.entryUser.focus();
    entries.hooks.changed();
  }

  // ---------------------------------------------------------------- wiring and life cycle
  function wire(entries) {
    const { el } = entries.ctx;
    el.entryBoard.addEventListener('change', () => void suggestPeriods(entries));
    // Periods roll over while the page is open: read them again when the box is about to be used.
    el.entryPeriod.addEventListener('focus', () => {
      entries.periodsFor = null;
      void suggestPeriods(entries);
    });
    el.entryForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const period = el.entryPeriod.value.trim();
      void lookupEntry(entries, el.entryBoard.value, period === 'current' ? '' : period, el.entryUser.value.trim());
    });
    el.entryRemove.addEventListener('click', () => askRemove(entries));
    el.entryRemoveCancel.addEventListener('click', () => closeRemove(el));
    el.entryConfirm.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeRemove(el);
    });
    el.entryRemoveConfirm.addEventListener('click', () => void removeEntry(entries));
  }

  /** Signed out: the boxes and the entry shown are forgotten. */
  function reset(entries) {
    const { el } = entries.ctx;
    entries.periodsFor = null;
    el.entryBoard.replaceChildren();
    el.entryPeriods.replaceChildren();
    el.entryPeriod.value = '';
    el.entryUser.value = '';
    el.entryError.textContent = '';
    el.entryStatus.textContent = '';
    clearEntry(entries);
  }

  /**
   * A player was frozen or unfrozen. A hidden player's entry is kept (and comes back with the
   * unfreeze), so it stays shown with a note; an unfreeze reads it again.
   */
  function statusChanged(entries, userId, { status, hidden }) {
    const { el } = entries.ctx;
    if (!entries.entry || entries.entry.entry.userId !== userId) return;
    if (status === 'frozen' && hidden) {
      el.entryStatus.textContent = `${userId} is frozen and hidden from every board: the entry is kept and comes back, unchanged, when the account is unfrozen.`;
    } else if (status === 'active') {
      el.entryStatus.textContent = '';
      const { boardId, period } = entries.entry;
      void lookupEntry(entries, boardId, period.id === 'all' ? '' : period.id, userId);
    }
  }

  /** The entry lookup and removal. `hooks.changed()`: an entry was removed (the counts follow). */
  function createEntries(ctx, hooks) {
    /** `entry`: the lookup shown; `request`: the latest lookup's number; `periodsFor`: the board whose periods are suggested. */
    const entries = { ctx, hooks, entry: null, request: 0, periodsFor: null };
    wire(entries);
    return Object.freeze({
      renderChoices: () => renderBoardChoices(entries),
      reset: () => reset(entries),
      /** Clears the entry shown if it is on `boardId` (the board is gone). */
      clearIfOn(boardId) {
        if (entries.entry && entries.entry.boardId === boardId) clearEntry(entries);
      },
      statusChanged: (userId, change) => statusChanged(entries, userId, change),
    });
  }

  ns.createEntries = createEntries;
})();
