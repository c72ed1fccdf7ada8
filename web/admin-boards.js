// The admin dashboard's boards section (DESIGN section 11), loaded before admin.js, which builds it
// with its own request and markup helpers once the page's elements exist. No build step, no
// framework; every title, name and message goes in through text nodes, never as markup.
//
// List: GET /api/v1/boards (again every 10 s while the tab is visible, and after every change).
// Create and edit: POST /api/v1/admin/boards and PATCH .../:boardId; a refused definition's
// `details.fields` put each message beside the field it names. Delete: DELETE .../:boardId after a
// confirmation in the board's row. Entry lookup: GET /api/v1/boards/:boardId/entries/:userId?period,
// then "remove this entry" (DELETE /api/v1/admin/boards/:boardId/entries/:userId?period, with the
// period id the lookup answered, so that a reset in between cannot remove another period's entry).
(() => {
  'use strict';

  const BOARDS = '/api/v1/boards';
  const ADMIN_BOARDS = '/api/v1/admin/boards';
  const LIST_POLL_MS = 10000;
  const PERIODS_SUGGESTED = 20;
  const MAX_SCORE = Number.MAX_SAFE_INTEGER;
  const USER_ID_PATTERN = /^[\x20-\x7e]{1,255}$/;
  /** First strong isolate … pop directional isolate: `<bdi>` for text that cannot hold elements (an <option>). */
  const isolate = (text) => `\u2068${text}\u2069`;

  /**
   * The form's fields, in the order of a definition (DESIGN section 11). `fixed`: set at creation,
   * shown but not sent when editing (the API refuses a change of them).
   */
  const FIELDS = [
    { name: 'id', label: 'Id', fixed: true, placeholder: 'weekly-race', hint: 'a–z, 0–9, _ and -; 1 to 64 characters', maxlength: 64 },
    { name: 'title', label: 'Title', placeholder: 'the id', hint: 'shown to players; 1 to 100 characters', maxlength: 100 },
    { name: 'sortOrder', label: 'Sort order', fixed: true, options: [['desc', 'desc — highest first'], ['asc', 'asc — lowest first (times, golf)']] },
    { name: 'operator', label: 'Operator', fixed: true, options: [['increment', 'increment — sum of what was added'], ['best', 'best — keeps the better score'], ['latest', 'latest — keeps the last score']] },
    { name: 'reset', label: 'Reset', fixed: true, placeholder: 'never', hint: 'empty for never; daily, weekly, monthly or a 5-field cron expression', list: 'reset-choices', mono: true },
    { name: 'timezone', label: 'Time zone', fixed: true, placeholder: 'UTC', hint: 'IANA name of the reset\u2019s time zone (Europe/Paris)', mono: true },
    { name: 'actions', label: 'Actions', placeholder: 'none: direct submissions', hint: 'action types that feed it, separated by commas (increment only)', mono: true },
    { name: 'minScore', label: 'Min score', placeholder: '0', hint: 'lowest direct submission', inputmode: 'numeric' },
    { name: 'maxScore', label: 'Max score', placeholder: String(MAX_SCORE), hint: 'highest direct submission', inputmode: 'numeric' },
    { name: 'startsAt', label: 'Starts at', placeholder: 'no start', hint: 'ISO 8601 with a zone (2026-12-01T00:00:00Z)', mono: true },
    { name: 'endsAt', label: 'Ends at', placeholder: 'no end', hint: 'takes scores until then (exclusive)', mono: true },
    { name: 'keepPeriods', label: 'Keep periods', placeholder: 'all', hint: 'ended periods kept readable; empty for all', inputmode: 'numeric' },
    { name: 'metadata', label: 'Metadata', placeholder: '{"format": "duration-ms"}', hint: 'a JSON object, at most 2 KiB, returned as given', textarea: true },
  ];

  const $ = (id) => /** @type {any} */ (document.getElementById(id));

  /**
   * Builds the section. `deps`: `call(path, options)` (the dashboard's signed-in request), `h` (an
   * element with text children only), `fmt` (a number), `statusControl(userId)` (the freeze
   * control with its "hide from boards" box).
   */
  function create(deps) {
    const { call, h, fmt, statusControl } = deps;
    const enc = encodeURIComponent;
    const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    const when = (iso) => {
      const date = new Date(iso);
      return iso && !Number.isNaN(date.getTime()) ? dateFormat.format(date) : '—';
    };

    const el = {
      section: $('boards'), list: $('boards-list'), empty: $('boards-empty'), error: $('boards-error'), status: $('boards-status'),
      count: $('boards-count'), refresh: $('boards-refresh'), newBoard: $('board-new'),
      form: $('board-form'), formTitle: $('board-form-title'), fields: $('board-fields'), formError: $('board-form-error'),
      formSubmit: $('board-form-submit'), formCancel: $('board-form-cancel'),
      entryForm: $('entry-form'), entryBoard: $('entry-board'), entryPeriod: $('entry-period'), entryPeriods: $('entry-periods'),
      entryUser: $('entry-user'), entrySubmit: $('entry-submit'), entryError: $('entry-error'), entryStatus: $('entry-status'),
      entry: $('entry'), entryName: $('entry-name'), entryUserId: $('entry-user-id'), entryControl: $('entry-control'),
      entryRank: $('entry-rank'), entryScore: $('entry-score'), entryTop: $('entry-top'), entryPeriodText: $('entry-period-text'),
      entryUpdated: $('entry-updated'), entryRemove: $('entry-remove'), entryConfirm: $('entry-confirm'), entryConfirmText: $('entry-confirm-text'),
      entryRemoveConfirm: $('entry-remove-confirm'), entryRemoveCancel: $('entry-remove-cancel'),
    };

    const state = {
      active: false,
      /** @type {Map<string, any>} the boards as last listed, by id */
      boards: new Map(),
      /** @type {Map<string, any>} one row per board, kept across refreshes (an open confirmation survives a poll) */
      rows: new Map(),
      listRequest: 0,
      timer: null,
      /** null: creating; else the id of the board being edited */
      editing: null,
      /** The values the edit form was filled with: only what the admin changed is sent. */
      original: null,
      busy: false,
      /** @type {any} the entry shown: {boardId, period, entry, totalEntries, topPercent} */
      entry: null,
      entryRequest: 0,
      periodsFor: null,
    };

    // ---------------------------------------------------------------- the form's fields
    /** @type {Record<string, {input: any, error: any, wrap: any}>} */
    const inputs = {};
    for (const field of FIELDS) {
      const id = `bf-${field.name}`;
      const describedBy = `${id}-hint ${id}-error`;
      let input;
      if (field.options) {
        input = h('select', { id, name: field.name, 'aria-describedby': describedBy }, ...field.options.map(([value, text]) => h('option', { value }, text)));
      } else if (field.textarea) {
        input = h('textarea', { id, name: field.name, rows: 3, placeholder: field.placeholder, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': describedBy });
      } else {
        input = h('input', {
          id, name: field.name, type: 'text', placeholder: field.placeholder, maxlength: field.maxlength, inputmode: field.inputmode, list: field.list,
          autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', className: field.mono ? 'mono' : undefined, 'aria-describedby': describedBy,
        });
      }
      const error = h('p', { id: `${id}-error`, className: 'field-error', role: 'alert' });
      const wrap = h(
        'div',
        { className: `field${field.textarea ? ' wide' : ''}`, dataset: { field: field.name } },
        h('label', { for: id }, field.label),
        input,
        h('p', { id: `${id}-hint`, className: 'hint' }, field.hint || ''),
        error,
      );
      input.addEventListener('input', () => clearFieldError(field.name));
      inputs[field.name] = { input, error, wrap };
      el.fields.append(wrap);
    }

    function clearFieldError(name) {
      const field = inputs[name];
      if (!field) return;
      field.error.textContent = '';
      field.input.removeAttribute('aria-invalid');
      field.wrap.classList.remove('invalid');
    }

    function clearErrors() {
      for (const name of Object.keys(inputs)) clearFieldError(name);
      el.formError.textContent = '';
    }

    /** Puts each problem beside the field it names; the rest (and unknown fields) under the form. */
    function showProblems(problems, fallback) {
      const general = [];
      let first = null;
      for (const problem of problems) {
        const name = problem && typeof problem.field === 'string' ? problem.field.replace(/^\//, '').split('/')[0] : '';
        const message = problem && typeof problem.message === 'string' ? problem.message : 'is invalid';
        const field = inputs[name];
        if (!field || field.input.disabled) {
          general.push(name ? `${name} ${message}` : message);
          continue;
        }
        // The API's words as they are: the field they name is the one they sit under.
        const text = message;
        field.error.textContent = field.error.textContent ? `${field.error.textContent} ${text}` : text;
        field.input.setAttribute('aria-invalid', 'true');
        field.wrap.classList.add('invalid');
        if (!first) first = field.input;
      }
      if (general.length > 0 || (!first && fallback)) el.formError.textContent = general.length > 0 ? general.join('; ') : fallback;
      if (first) first.focus();
    }

    // ---------------------------------------------------------------- reading the form
    const textOf = (name) => inputs[name].input.value.trim();

    /** An integer field as a number; other text is sent as typed, for the API to name the field. */
    function integerOf(name) {
      const text = textOf(name).replace(/[\s_,]/g, '');
      return /^[-+]?\d+$/.test(text) ? Number(text) : textOf(name);
    }

    /** One field's value as the API takes it; `undefined` leaves it out (the default). */
    function valueOf(name, editing) {
      const text = textOf(name);
      switch (name) {
        case 'actions':
          return text === '' ? [] : text.split(/[\s,]+/).filter(Boolean);
        case 'minScore':
          return text === '' ? (editing ? 0 : undefined) : integerOf(name);
        case 'maxScore':
          return text === '' ? (editing ? MAX_SCORE : undefined) : integerOf(name);
        case 'keepPeriods':
          return text === '' ? null : integerOf(name);
        case 'startsAt':
        case 'endsAt':
          return text === '' ? null : text;
        case 'reset':
          return text === '' || text === 'never' ? null : text;
        case 'metadata': {
          if (text === '') return {};
          try {
            return JSON.parse(text);
          } catch (error) {
            throw { field: 'metadata', message: `is not valid JSON (${error && error.message ? error.message : 'parse error'})` };
          }
        }
        default:
          return text === '' ? undefined : text;
      }
    }

    /** The body to send: every field given for a new board, only what changed for an edit. */
    function bodyOf() {
      const editing = state.editing !== null;
      const body = {};
      for (const field of FIELDS) {
        if (editing && field.fixed) continue;
        if (editing && state.original && state.original[field.name] === formText(field.name)) continue;
        const value = valueOf(field.name, editing);
        if (value !== undefined) body[field.name] = value;
      }
      return body;
    }

    const formText = (name) => inputs[name].input.value;

    /** The form's text for a board's value of `name`. */
    function textFor(board, name) {
      const value = board[name];
      if (name === 'actions') return Array.isArray(value) ? value.join(', ') : '';
      if (name === 'metadata') return value && Object.keys(value).length > 0 ? JSON.stringify(value, null, 1) : '';
      if (name === 'minScore' || name === 'maxScore' || name === 'keepPeriods') return value === null || value === undefined ? '' : String(value);
      return value === null || value === undefined ? '' : String(value);
    }

    // ---------------------------------------------------------------- create and edit
    function openForm(board) {
      clearErrors();
      state.editing = board ? board.id : null;
      el.formTitle.textContent = '';
      if (board) el.formTitle.append('Edit board ', h('bdi', {}, board.title), ' ', h('span', { className: 'mono muted' }, board.id));
      else el.formTitle.textContent = 'New board';
      el.formSubmit.textContent = board ? 'Save changes' : 'Create board';
      for (const field of FIELDS) {
        const { input, wrap } = inputs[field.name];
        input.value = board ? textFor(board, field.name) : field.options ? field.options[0][0] : '';
        input.disabled = Boolean(board && field.fixed);
        wrap.classList.toggle('fixed', Boolean(board && field.fixed));
      }
      state.original = board ? Object.fromEntries(FIELDS.map((field) => [field.name, formText(field.name)])) : null;
      el.form.dataset.mode = board ? 'edit' : 'create';
      el.form.hidden = false;
      el.form.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
      inputs[board ? 'title' : 'id'].input.focus({ preventScroll: true });
    }

    function closeForm() {
      el.form.hidden = true;
      state.editing = null;
      state.original = null;
      clearErrors();
    }

    async function submitForm() {
      if (state.busy) return;
      clearErrors();
      let body;
      try {
        body = bodyOf();
      } catch (problem) {
        showProblems([problem]);
        return;
      }
      const editing = state.editing;
      if (editing !== null && Object.keys(body).length === 0) {
        el.formError.textContent = 'Nothing changed.';
        return;
      }
      state.busy = true;
      el.formSubmit.disabled = true;
      const result = editing === null
        ? await call(ADMIN_BOARDS, { method: 'POST', body })
        : await call(`${ADMIN_BOARDS}/${enc(editing)}`, { method: 'PATCH', body });
      state.busy = false;
      el.formSubmit.disabled = false;
      if (result.stale || !state.active) return;
      if (!result.ok) {
        const error = result.error || {};
        const fields = error.details && Array.isArray(error.details.fields) ? error.details.fields : [];
        if (error.code === 'BOARD_EXISTS') showProblems([{ field: 'id', message: 'is taken: a board with this id exists already' }]);
        else if (fields.length > 0) showProblems(fields, error.message);
        else el.formError.textContent = `Could not ${editing === null ? 'create' : 'save'} the board: ${error.message || error.code || 'unknown error'}.`;
        return;
      }
      const board = result.data;
      closeForm();
      say(`Board ${board.id} ${editing === null ? 'created' : 'saved'}.`);
      upsertBoard(board, true);
      void refreshList();
    }

    el.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void submitForm();
    });
    el.formCancel.addEventListener('click', closeForm);
    el.form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeForm();
    });
    el.newBoard.addEventListener('click', () => openForm(null));

    // ---------------------------------------------------------------- the list
    function say(text) {
      el.status.textContent = text;
    }

    const ORDER_WORDS = { desc: 'highest first', asc: 'lowest first' };

    /** Formats by time zone and shape, made once each. */
    const formats = new Map();
    function formatIn(timeZone, options) {
      const key = `${timeZone}|${JSON.stringify(options)}`;
      let format = formats.get(key);
      if (!format) {
        try {
          format = new Intl.DateTimeFormat(undefined, { timeZone, ...options });
        } catch {
          format = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', ...options });
        }
        formats.set(key, format);
      }
      return format;
    }

    /** True when the instant is 00:00 in the zone (a period of whole days shows dates only). */
    function atMidnight(date, timeZone) {
      const parts = formatIn(timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(date);
      const part = (type) => (parts.find((p) => p.type === type) || { value: '' }).value;
      return Number(part('hour')) === 0 && Number(part('minute')) === 0;
    }

    /**
     * A period as its board's schedule cuts it, in the board's time zone: `Nov 30 – Dec 7` for whole
     * days, `Nov 30, 06:00 – Dec 7, 06:00` otherwise, with the year when it is not this one.
     */
    function periodText(period, timeZone) {
      if (!period || period.id === 'all') return 'all time';
      const zone = timeZone || 'UTC';
      const start = new Date(period.startsAt);
      const end = new Date(period.endsAt);
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) return period.id;
      const thisYear = formatIn(zone, { year: 'numeric' }).format(new Date());
      const days = atMidnight(start, zone) && atMidnight(end, zone);
      const text = (date) => {
        const withYear = formatIn(zone, { year: 'numeric' }).format(date) !== thisYear;
        const options = { month: 'short', day: 'numeric', ...(withYear ? { year: 'numeric' } : {}), ...(days ? {} : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }) };
        return formatIn(zone, options).format(date);
      };
      return `${text(start)} – ${text(end)}`;
    }

    /** Open, not yet open or ended, from startsAt/endsAt (null when always open). */
    function windowTag(board) {
      const now = Date.now();
      if (board.endsAt && Date.parse(board.endsAt) <= now) return { text: 'ended', title: `Took scores until ${when(board.endsAt)}` };
      if (board.startsAt && Date.parse(board.startsAt) > now) return { text: 'not open yet', title: `Takes scores from ${when(board.startsAt)}` };
      return null;
    }

    function meta(label, className) {
      const dd = h('dd', { className });
      return { node: h('div', {}, h('dt', {}, label), dd), dd };
    }

    function boardRow(boardId) {
      const title = h('bdi', { className: 'board-title' });
      const id = h('span', { className: 'mono board-id' });
      const tags = h('span', { className: 'board-tags' });
      const operator = meta('Operator', 'board-operator');
      const order = meta('Order', 'board-order');
      const reset = meta('Reset', 'board-reset');
      const resetRule = h('span', { className: 'reset-rule mono' });
      const resetZone = h('span', { className: 'reset-zone' });
      reset.dd.append(resetRule, resetZone);
      const period = meta('Current period', 'board-period');
      const entries = meta('Entries', 'board-entries num');
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
      const row = { li, title, id, tags, operator: operator.dd, order: order.dd, resetRule, resetZone, period: period.dd, entries: entries.dd, edit, remove, actions, confirm, confirmText, confirmDelete, cancel, error, busy: false };
      edit.addEventListener('click', () => {
        const board = state.boards.get(boardId);
        if (board) openForm(board);
      });
      remove.addEventListener('click', () => {
        const board = state.boards.get(boardId);
        if (!board) return;
        row.confirmText.replaceChildren('Delete ', h('bdi', {}, board.title), ` (${board.id}) with all its periods and ${fmt(board.totalEntries)} current entr${board.totalEntries === 1 ? 'y' : 'ies'}? This cannot be undone.`);
        row.error.textContent = '';
        row.confirm.hidden = false;
        row.actions.hidden = true;
        row.confirmDelete.focus();
      });
      const close = () => {
        row.confirm.hidden = true;
        row.actions.hidden = false;
        row.remove.focus();
      };
      cancel.addEventListener('click', close);
      confirm.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') close();
      });
      confirmDelete.addEventListener('click', () => void deleteBoard(row, boardId));
      return row;
    }

    function renderRow(row, board) {
      row.title.textContent = board.title;
      row.id.textContent = board.id;
      row.id.hidden = board.title === board.id;
      const tags = [];
      if (board.id === 'global') tags.push(h('span', { className: 'tag', title: 'Fed by every action type; cannot be changed or deleted' }, 'built in'));
      if (Array.isArray(board.actions) && board.actions.length > 0) tags.push(h('span', { className: 'tag', title: `Fed by ${board.actions.join(', ')}` }, `fed by ${board.actions.join(', ')}`));
      const open = windowTag(board);
      if (open) tags.push(h('span', { className: 'tag tag-warn', title: open.title }, open.text));
      row.tags.replaceChildren(...tags);
      row.operator.textContent = board.operator;
      row.order.textContent = `${board.sortOrder} · ${ORDER_WORDS[board.sortOrder] || ''}`;
      const resets = board.reset !== null && board.reset !== undefined;
      row.resetRule.textContent = resets ? board.reset : 'never';
      row.resetZone.textContent = resets ? board.timezone || 'UTC' : '';
      row.resetZone.hidden = !resets;
      row.period.textContent = periodText(board.period, board.timezone);
      row.period.title = board.period && board.period.id !== 'all' ? `Period ${board.period.id}, shown in ${board.timezone || 'UTC'}` : '';
      row.entries.textContent = fmt(board.totalEntries);
      const builtIn = board.id === 'global';
      row.edit.hidden = builtIn;
      row.remove.hidden = builtIn;
    }

    function upsertBoard(board, fresh) {
      state.boards.set(board.id, board);
      let row = state.rows.get(board.id);
      if (!row) {
        row = boardRow(board.id);
        state.rows.set(board.id, row);
      }
      renderRow(row, board);
      if (fresh) {
        row.li.classList.add('fresh');
        setTimeout(() => row.li.classList.remove('fresh'), 3000);
      }
      placeRows();
    }

    /** The rows in the API's order: `global` first, then by id. */
    function placeRows() {
      const ids = [...state.boards.keys()].sort((a, b) => (a === 'global' ? -1 : b === 'global' ? 1 : a < b ? -1 : a > b ? 1 : 0));
      const wanted = ids.map((id) => state.rows.get(id).li);
      if (wanted.some((li, i) => el.list.children[i] !== li) || el.list.children.length !== wanted.length) el.list.replaceChildren(...wanted);
      el.empty.hidden = ids.length > 0;
      const own = ids.filter((id) => id !== 'global').length;
      el.count.textContent = ids.length > 0 ? `${fmt(own)} board${own === 1 ? '' : 's'} besides global` : '';
      renderBoardChoices();
    }

    function applyList(boards) {
      const seen = new Set();
      for (const board of boards) {
        if (!board || typeof board.id !== 'string') continue;
        seen.add(board.id);
        state.boards.set(board.id, board);
        let row = state.rows.get(board.id);
        if (!row) {
          row = boardRow(board.id);
          state.rows.set(board.id, row);
        }
        renderRow(row, board);
      }
      for (const id of [...state.boards.keys()]) {
        if (seen.has(id)) continue;
        state.boards.delete(id);
        state.rows.delete(id);
      }
      placeRows();
    }

    async function refreshList() {
      if (!state.active) return;
      const request = ++state.listRequest;
      const result = await call(BOARDS);
      if (result.stale || !state.active || request !== state.listRequest) return;
      if (!result.ok) {
        el.error.textContent = `Could not read the boards: ${result.error && result.error.message ? result.error.message : 'unknown error'}.`;
        return;
      }
      el.error.textContent = '';
      applyList(Array.isArray(result.data.boards) ? result.data.boards : []);
    }

    function schedule() {
      clearTimeout(state.timer);
      if (!state.active) return;
      state.timer = setTimeout(async () => {
        if (!document.hidden) await refreshList();
        schedule();
      }, LIST_POLL_MS);
    }

    async function deleteBoard(row, boardId) {
      if (row.busy) return;
      row.busy = true;
      row.confirmDelete.disabled = true;
      row.cancel.disabled = true;
      const result = await call(`${ADMIN_BOARDS}/${enc(boardId)}`, { method: 'DELETE' });
      row.busy = false;
      row.confirmDelete.disabled = false;
      row.cancel.disabled = false;
      if (result.stale || !state.active) return;
      if (!result.ok && !(result.error && result.error.code === 'BOARD_NOT_FOUND')) {
        row.error.textContent = `Could not delete the board: ${result.error && result.error.message ? result.error.message : 'unknown error'}.`;
        return;
      }
      state.boards.delete(boardId);
      state.rows.delete(boardId);
      row.li.remove();
      if (state.editing === boardId) closeForm();
      if (state.entry && state.entry.boardId === boardId) clearEntry();
      placeRows();
      say(`Board ${boardId} deleted.`);
      el.newBoard.focus();
      void refreshList();
    }

    el.refresh.addEventListener('click', () => void refreshList());

    // ---------------------------------------------------------------- entry lookup
    function renderBoardChoices() {
      const chosen = el.entryBoard.value;
      const options = [...state.boards.values()]
        .sort((a, b) => (a.id === 'global' ? -1 : b.id === 'global' ? 1 : a.id < b.id ? -1 : 1))
        .map((board) => h('option', { value: board.id }, board.title === board.id ? board.id : `${isolate(board.title)} (${board.id})`));
      const same = options.length === el.entryBoard.options.length && options.every((option, i) => el.entryBoard.options[i].value === option.value && el.entryBoard.options[i].textContent === option.textContent);
      if (same) return;
      el.entryBoard.replaceChildren(...options);
      if (chosen && state.boards.has(chosen)) el.entryBoard.value = chosen;
      void suggestPeriods();
    }

    /** The board's kept periods as suggestions for the period box (current and previous first). */
    async function suggestPeriods() {
      const boardId = el.entryBoard.value;
      if (!boardId || state.periodsFor === boardId) return;
      state.periodsFor = boardId;
      const board = state.boards.get(boardId);
      const base = ['current'].concat(board && board.reset ? ['previous'] : []);
      el.entryPeriods.replaceChildren(...base.map((value) => h('option', { value })));
      if (!board || !board.reset) return;
      const result = await call(`${BOARDS}/${enc(boardId)}/periods?limit=${PERIODS_SUGGESTED}`);
      if (result.stale || !result.ok || state.periodsFor !== boardId) return;
      const periods = Array.isArray(result.data.periods) ? result.data.periods : [];
      el.entryPeriods.replaceChildren(
        ...base.map((value) => h('option', { value })),
        ...periods.map((period) => h('option', { value: period.id }, `${periodText(period, board.timezone)} · ${fmt(period.totalEntries)} entries`)),
      );
    }
    el.entryBoard.addEventListener('change', () => void suggestPeriods());
    // Periods roll over while the page is open: read them again when the box is about to be used.
    el.entryPeriod.addEventListener('focus', () => {
      state.periodsFor = null;
      void suggestPeriods();
    });

    function formatScore(board, score) {
      if (!board || !board.metadata || board.metadata.format !== 'duration-ms' || !Number.isFinite(score)) return fmt(score);
      const sign = score < 0 ? '-' : '';
      const ms = Math.abs(score);
      const minutes = Math.floor(ms / 60000);
      const seconds = Math.floor((ms % 60000) / 1000);
      const rest = String(ms % 1000).padStart(3, '0');
      return `${sign}${minutes}:${String(seconds).padStart(2, '0')}.${rest} (${fmt(score)} ms)`;
    }

    function clearEntry() {
      state.entryRequest += 1;
      state.entry = null;
      el.entry.hidden = true;
      el.entryConfirm.hidden = true;
      el.entryRemove.hidden = false;
      el.entryControl.replaceChildren();
      el.entrySubmit.disabled = false;
    }

    async function lookupEntry(boardId, period, userId) {
      el.entryError.textContent = '';
      el.entryStatus.textContent = '';
      if (!boardId) {
        el.entryError.textContent = 'Choose a board.';
        el.entryBoard.focus();
        return;
      }
      if (!USER_ID_PATTERN.test(userId)) {
        el.entryError.textContent = 'A player id is 1 to 255 printable ASCII characters.';
        el.entryUser.focus();
        return;
      }
      const request = ++state.entryRequest;
      el.entrySubmit.disabled = true;
      const query = period ? `?period=${enc(period)}` : '';
      const result = await call(`${BOARDS}/${enc(boardId)}/entries/${enc(userId)}${query}`);
      if (result.stale || request !== state.entryRequest) return;
      el.entrySubmit.disabled = false;
      if (!result.ok) {
        state.entry = null;
        el.entry.hidden = true;
        const error = result.error || {};
        if (error.code === 'USER_NOT_FOUND') el.entryError.textContent = `"${userId}" has no entry on ${boardId} in ${period || 'the current'} period (or is hidden from boards).`;
        else if (error.code === 'PERIOD_NOT_FOUND') el.entryError.textContent = `Board ${boardId} has no kept period "${period}".`;
        else if (error.code === 'BOARD_NOT_FOUND') el.entryError.textContent = `There is no board "${boardId}" any more.`;
        else el.entryError.textContent = `Could not look up the entry: ${error.message || error.code || 'unknown error'}.`;
        return;
      }
      showEntry(result.data);
    }

    function showEntry(data) {
      state.entry = data;
      const board = state.boards.get(data.boardId);
      const { entry } = data;
      el.entryName.textContent = entry.username || entry.userId;
      el.entryUserId.textContent = entry.userId;
      el.entryRank.textContent = `#${fmt(entry.rank)} of ${fmt(data.totalEntries)}`;
      el.entryScore.textContent = formatScore(board, entry.score);
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

    el.entryForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const period = el.entryPeriod.value.trim();
      void lookupEntry(el.entryBoard.value, period === 'current' ? '' : period, el.entryUser.value.trim());
    });

    el.entryRemove.addEventListener('click', () => {
      if (!state.entry) return;
      const { entry, boardId, period } = state.entry;
      el.entryConfirmText.replaceChildren(
        'Remove the entry of ',
        h('bdi', {}, entry.username || entry.userId),
        ` (${formatScore(state.boards.get(boardId), entry.score)}, rank #${fmt(entry.rank)}) from ${boardId}, ${period.id === 'all' ? 'all time' : `period ${periodText(period, (state.boards.get(boardId) || {}).timezone)}`}? The player's history is kept.`,
      );
      el.entryRemove.hidden = true;
      el.entryConfirm.hidden = false;
      el.entryRemoveConfirm.focus();
    });
    const closeRemove = () => {
      el.entryConfirm.hidden = true;
      el.entryRemove.hidden = false;
      el.entryRemove.focus();
    };
    el.entryRemoveCancel.addEventListener('click', closeRemove);
    el.entryConfirm.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeRemove();
    });

    el.entryRemoveConfirm.addEventListener('click', async () => {
      if (!state.entry) return;
      const { boardId, period, entry } = state.entry;
      el.entryRemoveConfirm.disabled = true;
      el.entryRemoveCancel.disabled = true;
      const result = await call(`${ADMIN_BOARDS}/${enc(boardId)}/entries/${enc(entry.userId)}?period=${enc(period.id)}`, { method: 'DELETE' });
      el.entryRemoveConfirm.disabled = false;
      el.entryRemoveCancel.disabled = false;
      if (result.stale || !state.active) return;
      if (!result.ok && !(result.error && result.error.code === 'USER_NOT_FOUND')) {
        el.entryError.textContent = `Could not remove the entry: ${result.error && result.error.message ? result.error.message : 'unknown error'}.`;
        return;
      }
      clearEntry();
      el.entryStatus.textContent = `Removed the entry of ${entry.userId} from ${boardId} (${period.id === 'all' ? 'all time' : `period ${period.id}`}).`;
      el.entryUser.focus();
      void refreshList();
    });

    // ---------------------------------------------------------------- life cycle
    return {
      /** Signed in: read the boards and keep them fresh. */
      start() {
        state.active = true;
        void refreshList();
        schedule();
      },
      /** Signed out: forget everything shown. */
      stop() {
        state.active = false;
        clearTimeout(state.timer);
        state.listRequest += 1;
        state.boards.clear();
        state.rows.clear();
        state.periodsFor = null;
        el.list.replaceChildren();
        el.entryBoard.replaceChildren();
        el.entryPeriods.replaceChildren();
        el.entryPeriod.value = '';
        el.entryUser.value = '';
        el.error.textContent = '';
        el.status.textContent = '';
        el.count.textContent = '';
        el.entryError.textContent = '';
        el.entryStatus.textContent = '';
        closeForm();
        clearEntry();
      },
      /**
       * A player was frozen or unfrozen: the counts follow. A hidden player's entry is kept (and comes
       * back with the unfreeze), so it stays shown with a note; an unfreeze reads it again.
       */
      statusChanged(userId, { status, hidden }) {
        if (!state.active) return;
        void refreshList();
        if (!state.entry || state.entry.entry.userId !== userId) return;
        if (status === 'frozen' && hidden) {
          el.entryStatus.textContent = `${userId} is frozen and hidden from every board: the entry is kept and comes back, unchanged, when the account is unfrozen.`;
        } else if (status === 'active') {
          el.entryStatus.textContent = '';
          const { boardId, period } = state.entry;
          void lookupEntry(boardId, period.id === 'all' ? '' : period.id, userId);
        }
      },
    };
  }

  window.ScoreboardAdminBoards = Object.freeze({ create });
})();
