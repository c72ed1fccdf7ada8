// The admin dashboard's boards section, creating and editing a board: POST /api/v1/admin/boards and
// PATCH .../:boardId (only the fields changed). A refused definition's `details.fields` go beside the
// fields they name (admin-boards-form.js). Part of `window.ScoreboardAdminBoards` (see admin-boards.js).
(() => {
  'use strict';

  const ns = (window.ScoreboardAdminBoards = window.ScoreboardAdminBoards || {});
  const enc = encodeURIComponent;

  /** Opens the form for `board`, or for a new board when it is null. */
  function openForm(editor, board) {
    const { el, h } = editor.ctx;
    editor.fields.clearErrors();
    editor.editing = board ? board.id : null;
    el.formTitle.textContent = '';
    if (board) el.formTitle.append('Edit board ', h('bdi', {}, board.title), ' ', h('span', { className: 'mono muted' }, board.id));
    else el.formTitle.textContent = 'New board';
    el.formSubmit.textContent = board ? 'Save changes' : 'Create board';
    editor.fields.fill(board);
    editor.original = board ? editor.fields.snapshot() : null;
    el.form.dataset.mode = board ? 'edit' : 'create';
    el.form.hidden = false;
    el.form.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    editor.fields.focus(board ? 'title' : 'id', { preventScroll: true });
  }

  function closeForm(editor) {
    editor.ctx.el.form.hidden = true;
    editor.editing = null;
    editor.original = null;
    editor.fields.clearErrors();
  }

  /** The API's refusal: a taken id, messages by field, or one message under the form. */
  function showRefusal(editor, error, creating) {
    const fields = error.details && Array.isArray(error.details.fields) ? error.details.fields : [];
    if (error.code === 'BOARD_EXISTS') editor.fields.showProblems([{ field: 'id', message: 'is taken: a board with this id exists already' }]);
    else if (fields.length > 0) editor.fields.showProblems(fields, error.message);
    else editor.ctx.el.formError.textContent = `Could not ${creating ? 'create' : 'save'} the board: ${error.message || error.code || 'unknown error'}.`;
  }

  /** The form's body, or null (with the problem shown) when there is nothing to send. */
  function bodyToSend(editor) {
    let body;
    try {
      body = editor.fields.body(editor.editing !== null, editor.original);
    } catch (problem) {
      editor.fields.showProblems([problem]);
      return null;
    }
    if (editor.editing !== null && Object.keys(body).length === 0) {
      editor.ctx.el.formError.textContent = 'Nothing changed.';
      return null;
    }
    return body;
  }

  async function submitForm(editor) {
    const { ctx } = editor;
    if (editor.busy) return;
    editor.fields.clearErrors();
    const body = bodyToSend(editor);
    if (!body) return;
    const editing = editor.editing;
    editor.busy = true;
    ctx.el.formSubmit.disabled = true;
    const result = editing === null
      ? await ctx.call(ctx.api.adminBoards, { method: 'POST', body })
      : await ctx.call(`${ctx.api.adminBoards}/${enc(editing)}`, { method: 'PATCH', body });
    editor.busy = false;
    ctx.el.formSubmit.disabled = false;
    if (result.stale || !ctx.state.active) return;
    if (!result.ok) {
      showRefusal(editor, result.error || {}, editing === null);
      return;
    }
    const board = result.data;
    closeForm(editor);
    ctx.say(`Board ${board.id} ${editing === null ? 'created' : 'saved'}.`);
    editor.hooks.saved(board);
  }

  function wire(editor) {
    const { el } = editor.ctx;
    el.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void submitForm(editor);
    });
    el.formCancel.addEventListener('click', () => closeForm(editor));
    el.form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeForm(editor);
    });
    el.newBoard.addEventListener('click', () => openForm(editor, null));
  }

  /**
   * The create and edit form. `fields`: from `createFields`; `hooks.saved(board)`: a board was
   * created or saved (the list shows it).
   */
  function createEditor(ctx, fields, hooks) {
    /** `editing`: null while creating, else the id of the board being edited; `original`: the text the edit form was filled with. */
    const editor = { ctx, fields, hooks, editing: null, original: null, busy: false };
    wire(editor);
    return Object.freeze({
      open: (board) => openForm(editor, board),
      close: () => closeForm(editor),
      /** Closes the form if it edits `boardId` (the board is gone). */
      closeIfEditing(boardId) {
        if (editor.editing === boardId) closeForm(editor);
      },
    });
  }

  ns.createEditor = createEditor;
})();
