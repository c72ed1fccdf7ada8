// The admin dashboard's boards section (DESIGN section 11), loaded after its parts and before
// admin.js, which builds it with its own request and markup helpers once the page's elements exist.
// No build step, no framework; every title, name and message goes in through text nodes, never as
// markup. The parts, each a script adding to `window.ScoreboardAdminBoards`:
//
// - admin-boards-format.js: dates and periods as text.
// - admin-boards-form.js: the create and edit form's fields (building, reading, field errors).
// - admin-boards-editor.js: create and edit (POST /api/v1/admin/boards, PATCH .../:boardId).
// - admin-boards-list.js: the list (GET /api/v1/boards, polled) and deletion after a confirmation.
// - admin-boards-entries.js: an entry's lookup and its removal.
//
// This file puts them together: `create(deps)`.
(() => {
  'use strict';

  const ns = (window.ScoreboardAdminBoards = window.ScoreboardAdminBoards || {});
  const API = Object.freeze({ boards: '/api/v1/boards', adminBoards: '/api/v1/admin/boards' });

  const $ = (id) => /** @type {any} */ (document.getElementById(id));

  /** The section's elements, by role. */
  function elements() {
    return {
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
  }

  /**
   * Builds the section. `deps`: `call(path, options)` (the dashboard's signed-in request), `h` (an
   * element with text children only), `fmt` (a number), `statusControl(userId)` (the freeze
   * control with its "hide from boards" box).
   */
  function create(deps) {
    const { call, h, fmt, statusControl } = deps;
    const el = elements();
    /** `state.boards`: the boards as last listed, by id; `active`: signed in. */
    const state = { active: false, boards: new Map() };
    const say = (text) => {
      el.status.textContent = text;
    };
    const ctx = Object.freeze({ call, h, fmt, statusControl, el, state, say, api: API });

    const fields = ns.createFields(ctx);
    const editor = ns.createEditor(ctx, fields, {
      saved(board) {
        list.upsert(board, true);
        void list.refresh();
      },
    });
    const entries = ns.createEntries(ctx, { changed: () => void list.refresh() });
    const list = ns.createList(ctx, {
      edit: (board) => editor.open(board),
      deleted(boardId) {
        editor.closeIfEditing(boardId);
        entries.clearIfOn(boardId);
      },
      placed: () => entries.renderChoices(),
    });

    return {
      /** Signed in: read the boards and keep them fresh. */
      start() {
        state.active = true;
        list.start();
      },
      /** Signed out: forget everything shown. */
      stop() {
        state.active = false;
        state.boards.clear();
        list.stop();
        entries.reset();
        say('');
        editor.close();
      },
      /** A player was frozen or unfrozen: the counts follow, and the entry shown if it is theirs. */
      statusChanged(userId, change) {
        if (!state.active) return;
        void list.refresh();
        entries.statusChanged(userId, change);
      },
    };
  }

  ns.create = create;
  Object.freeze(ns);
})();
