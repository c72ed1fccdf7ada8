// The admin dashboard's boards section, the list: GET /api/v1/boards (again every 10 s while the tab
// is visible, and after every change), one row per board kept across refreshes (an open confirmation
// survives a poll), and DELETE /api/v1/admin/boards/:boardId after a confirmation in the board's row.
// Part of `window.ScoreboardAdminBoards` (see admin-boards.js).
(() => {
  'use strict';

  const ns = (window.ScoreboardAdminBoards = window.ScoreboardAdminBoards || {});
  const enc = encodeURIComponent;
  const LIST_POLL_MS = 10000;
  const ORDER_WORDS = { desc: 'highest first', asc: 'lowest first' };

  // ---------------------------------------------------------------- a board's row
  /** Open, not yet open or ended, from startsAt/endsAt (null when always open). */
  function windowTag(board) {
    const { when } = ns.format;
    const now = Date.now();
    if (board.endsAt && Date.parse(board.endsAt) <= now) return { text: 'ended', title: `Took scores until ${when(board.endsAt)}` };
    if (board.startsAt && Date.parse(board.startsAt) > now) return { text: 'not open yet', title: `Takes scores from ${when(board.startsAt)}` };
    return null;
  }

  function meta(h, label, className) {
    const dd = h('dd', { className });
    return { node: h('div', {}, h('dt', {}, label), dd), dd };
  }

  /** The row's elements, empty: `renderRow` fills them. */
  function rowNodes(h, boardId) {
    const title = h('bdi', { className: 'board-title' });
    const id = h('span', { className: 'mono board-id' });
    const tags = h('span', { className: 'board-tags' });
    const operator = meta(h, 'Operator', 'board-operator');
    const order = meta(h, 'Order', 'board-order');
    const reset = meta(h, 'Reset', 'board-reset');
    const resetRule = h('span', { className: 'reset-rule mono' });
    const resetZone = h('span', { className: 'reset-zone' });
    reset.dd.append(resetRule, resetZone);
    const period = meta(h, 'Current period', 'board-period');
    const entries = meta(h, 'Entries', 'board-entries num');
    const edit = h('button', { type: 'button', className: 'edit' }, 'Edit');
    const remove = h('button', { type: 'button', className: 'danger delete' }, 'Delete');
    const actions = h('div', { className: 'board-actions' }, edit, remove);
    const confirmText = h('p', { className: 'confirm-text' });
    const confirmDelete = h('button', { type: 'button', className: 'danger confirm-delete' }, 'Delete board');
    const cancel = h('button', { type: 'button', className: 'cancel' }, 'Cancel');
    const error = h('p', { className: 'error', role: 'status' });
    const confirm = h('div', { className: 'board-confirm', role: 'group', 'aria-label': 'Confirm deletion', hidden: true }, confirmText, h('div', { className: 'bar' }, confirmDelete, cancel));
    const li = h(
      'li',
      { className: 'board', dataset: { boardId } },
      h('div', { className: 'board-name' }, title, id, tags),
      h('dl', { className: 'board-meta' }, operator.node, order.node, reset.node, period.node, entries.node),
      actions,
      confirm,
      error,
    );
    return { li, title, id, tags, operator: operator.dd, order: order.dd, resetRule, resetZone, period: period.dd, entries: entries.dd, edit, remove, actions, confirm, confirmText, confirmDelete, cancel, error, busy: false };
  }

  /** Delete asks first, in the row: what goes with the board. */
  function askDelete(list, row, boardId) {
    const { h, fmt, state } = list.ctx;
    const board = state.boards.get(boardId);
    if (!board) return;
    row.confirmText.replaceChildren('Delete ', h('bdi', {}, board.title), ` (${board.id}) with all its periods and ${fmt(board.totalEntries)} current entr${board.totalEntries === 1 ? 'y' : 'ies'}? This cannot be undone.`);
    row.error.textContent = '';
    row.confirm.hidden = false;
    row.actions.hidden = true;
    row.confirmDelete.focus();
  }

  function wireRow(list, row, boardId) {
    row.edit.addEventListener('click', () => {
      const board = list.ctx.state.boards.get(boardId);
      if (board) list.hooks.edit(board);
    });
    row.remove.addEventListener('click', () => askDelete(list, row, boardId));
    const close = () => {
      row.confirm.hidden = true;
      row.actions.hidden = false;
      row.remove.focus();
    };
    row.cancel.addEventListener('click', close);
    row.confirm.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') close();
    });
    row.confirmDelete.addEventListener('click', () => void deleteBoard(list, row, boardId));
  }

  function tagsOf(h, board) {
    const tags = [];
    if (board.id === 'global') tags.push(h('span', { className: 'tag', title: 'Fed by every action type; cannot be changed or deleted' }, 'built in'));
    if (Array.isArray(board.actions) && board.actions.length > 0) tags.push(h('span', { className: 'tag', title: `Fed by ${board.actions.join(', ')}` }, `fed by ${board.actions.join(', ')}`));
    const open = windowTag(board);
    if (open) tags.push(h('span', { className: 'tag tag-warn', title: open.title }, open.text));
    return tags;
  }

  function renderRow(ctx, row, board) {
    row.title.textContent = board.title;
    row.id.textContent = board.id;
    row.id.hidden = board.title === board.id;
    row.tags.replaceChildren(...tagsOf(ctx.h, board));
    row.operator.textContent = board.operator;
    row.order.textContent = `${board.sortOrder} · ${ORDER_WORDS[board.sortOrder] || ''}`;
    const resets = board.reset !== null && board.reset !== undefined;
    row.resetRule.textContent = resets ? board.reset : 'never';
    row.resetZone.textContent = resets ? board.timezone || 'UTC' : '';
    row.resetZone.hidden = !resets;
    row.period.textContent = ns.format.periodText(board.period, board.timezone);
    row.period.title = board.period && board.period.id !== 'all' ? `Period ${board.period.id}, shown in ${board.timezone || 'UTC'}` : '';
    row.entries.textContent = ctx.fmt(board.totalEntries);
    const builtIn = board.id === 'global';
    row.edit.hidden = builtIn;
    row.remove.hidden = builtIn;
  }

  // ---------------------------------------------------------------- the list
  /** Keeps `board` and shows it in its row (made on first sight). */
  function showBoard(list, board) {
    list.ctx.state.boards.set(board.id, board);
    let row = list.rows.get(board.id);
    if (!row) {
      row = rowNodes(list.ctx.h, board.id);
      wireRow(list, row, board.id);
      list.rows.set(board.id, row);
    }
    renderRow(list.ctx, row, board);
    return row;
  }

  /** A board just created or saved: shown at once, highlighted when `fresh`. */
  function upsertBoard(list, board, fresh) {
    const row = showBoard(list, board);
    if (fresh) {
      row.li.classList.add('fresh');
      setTimeout(() => row.li.classList.remove('fresh'), 3000);
    }
    placeRows(list);
  }

  /** The rows in the API's order: `global` first, then by id. */
  function placeRows(list) {
    const { el, fmt, state } = list.ctx;
    const ids = [...state.boards.keys()].sort((a, b) => (a === 'global' ? -1 : b === 'global' ? 1 : a < b ? -1 : a > b ? 1 : 0));
    const wanted = ids.map((id) => list.rows.get(id).li);
    if (wanted.some((li, i) => el.list.children[i] !== li) || el.list.children.length !== wanted.length) el.list.replaceChildren(...wanted);
    el.empty.hidden = ids.length > 0;
    const own = ids.filter((id) => id !== 'global').length;
    el.count.textContent = ids.length > 0 ? `${fmt(own)} board${own === 1 ? '' : 's'} besides global` : '';
    list.hooks.placed();
  }

  function applyList(list, boards) {
    const { state } = list.ctx;
    const seen = new Set();
    for (const board of boards) {
      if (!board || typeof board.id !== 'string') continue;
      seen.add(board.id);
      showBoard(list, board);
    }
    for (const id of [...state.boards.keys()]) {
      if (seen.has(id)) continue;
      state.boards.delete(id);
      list.rows.delete(id);
    }
    placeRows(list);
  }

  async function refreshList(list) {
    const { ctx } = list;
    if (!ctx.state.active) return;
    const request = ++list.request;
    const result = await ctx.call(ctx.api.boards);
    if (result.stale || !ctx.state.active || request !== list.request) return;
    if (!result.ok) {
      ctx.el.error.textContent = `Could not read the boards: ${result.error && result.error.message ? result.error.message : 'unknown error'}.`;
      return;
    }
    ctx.el.error.textContent = '';
    applyList(list, Array.isArray(result.data.boards) ? result.data.boards : []);
  }

  function schedule(list) {
    clearTimeout(list.timer);
    if (!list.ctx.state.active) return;
    list.timer = setTimeout(async () => {
      if (!document.hidden) await refreshList(list);
      schedule(list);
    }, LIST_POLL_MS);
  }

  async function deleteBoard(list, row, boardId) {
    const { ctx } = list;
    if (row.busy) return;
    row.busy = true;
    row.confirmDelete.disabled = true;
    row.cancel.disabled = true;
    const result = await ctx.call(`${ctx.api.adminBoards}/${enc(boardId)}`, { method: 'DELETE' });
    row.busy = false;
    row.confirmDelete.disabled = false;
    row.cancel.disabled = false;
    if (result.stale || !ctx.state.active) return;
    if (!result.ok && !(result.error && result.error.code === 'BOARD_NOT_FOUND')) {
      row.error.textContent = `Could not delete the board: ${result.error && result.error.message ? result.error.message : 'unknown error'}.`;
      return;
    }
    ctx.state.boards.delete(boardId);
    list.rows.delete(boardId);
    row.li.remove();
    list.hooks.deleted(boardId);
    placeRows(list);
    ctx.say(`Board ${boardId} deleted.`);
    ctx.el.newBoard.focus();
    void refreshList(list);
  }

  /**
   * The list of boards (kept in `ctx.state.boards`). `hooks`: `edit(board)` (its Edit button),
   * `deleted(boardId)` (after a deletion), `placed()` (the boards listed changed or were re-read).
   */
  function createList(ctx, hooks) {
    const list = { ctx, hooks, /** @type {Map<string, any>} one row per board */ rows: new Map(), request: 0, timer: null };
    ctx.el.refresh.addEventListener('click', () => void refreshList(list));
    return Object.freeze({
      refresh: () => refreshList(list),
      upsert: (board, fresh) => upsertBoard(list, board, fresh),
      /** Reads the boards now, then every LIST_POLL_MS while the tab is visible. */
      start() {
        void refreshList(list);
        schedule(list);
      },
      /** Stops polling and forgets every row (signed out). */
      stop() {
        clearTimeout(list.timer);
        list.request += 1;
        list.rows.clear();
        ctx.el.list.replaceChildren();
        ctx.el.error.textContent = '';
        ctx.el.count.textContent = '';
      },
    });
  }

  ns.createList = createList;
})();
