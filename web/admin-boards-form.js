// The admin dashboard's boards section, the fields of the create and edit form: built from FIELDS,
// filled from a board, read back as the API takes a definition, and a refused definition's messages
// (`details.fields`) put beside the fields they name. Part of `window.ScoreboardAdminBoards` (see
// admin-boards.js).
(() => {
  'use strict';

  const ns = (window.ScoreboardAdminBoards = window.ScoreboardAdminBoards || {});
  const MAX_SCORE = Number.MAX_SAFE_INTEGER;

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

  // ---------------------------------------------------------------- building the fields
  /** The field's input: a select, a textarea or a text box. */
  function inputOf(h, field, id) {
    const describedBy = `${id}-hint ${id}-error`;
    if (field.options) {
      return h('select', { id, name: field.name, 'aria-describedby': describedBy }, ...field.options.map(([value, text]) => h('option', { value }, text)));
    }
    if (field.textarea) {
      return h('textarea', { id, name: field.name, rows: 3, placeholder: field.placeholder, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': describedBy });
    }
    return h('input', {
      id, name: field.name, type: 'text', placeholder: field.placeholder, maxlength: field.maxlength, inputmode: field.inputmode, list: field.list,
      autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', className: field.mono ? 'mono' : undefined, 'aria-describedby': describedBy,
    });
  }

  /** Adds one field (label, input, hint, error) to the form; typing in it clears its error. */
  function addField(form, h, field) {
    const id = `bf-${field.name}`;
    const input = inputOf(h, field, id);
    const error = h('p', { id: `${id}-error`, className: 'field-error', role: 'alert' });
    const wrap = h(
      'div',
      { className: `field${field.textarea ? ' wide' : ''}`, dataset: { field: field.name } },
      h('label', { for: id }, field.label),
      input,
      h('p', { id: `${id}-hint`, className: 'hint' }, field.hint || ''),
      error,
    );
    input.addEventListener('input', () => clearFieldError(form, field.name));
    form.inputs[field.name] = { input, error, wrap };
    form.container.append(wrap);
  }

  // ---------------------------------------------------------------- field errors
  function clearFieldError(form, name) {
    const field = form.inputs[name];
    if (!field) return;
    field.error.textContent = '';
    field.input.removeAttribute('aria-invalid');
    field.wrap.classList.remove('invalid');
  }

  function clearErrors(form) {
    for (const name of Object.keys(form.inputs)) clearFieldError(form, name);
    form.formError.textContent = '';
  }

  /** Puts each problem beside the field it names; the rest (and unknown fields) under the form. */
  function showProblems(form, problems, fallback) {
    const general = [];
    let first = null;
    for (const problem of problems) {
      const name = problem && typeof problem.field === 'string' ? problem.field.replace(/^\//, '').split('/')[0] : '';
      const message = problem && typeof problem.message === 'string' ? problem.message : 'is invalid';
      const field = form.inputs[name];
      if (!field || field.input.disabled) {
        general.push(name ? `${name} ${message}` : message);
        continue;
      }
      // The API's words as they are: the field they name is the one they sit under.
      field.error.textContent = field.error.textContent ? `${field.error.textContent} ${message}` : message;
      field.input.setAttribute('aria-invalid', 'true');
      field.wrap.classList.add('invalid');
      if (!first) first = field.input;
    }
    if (general.length > 0 || (!first && fallback)) form.formError.textContent = general.length > 0 ? general.join('; ') : fallback;
    if (first) first.focus();
  }

  // ---------------------------------------------------------------- reading the form
  const formText = (form, name) => form.inputs[name].input.value;
  const textOf = (form, name) => formText(form, name).trim();

  /** An integer field as a number; other text is sent as typed, for the API to name the field. */
  function integerOf(form, name) {
    const text = textOf(form, name).replace(/[\s_,]/g, '');
    return /^[-+]?\d+$/.test(text) ? Number(text) : textOf(form, name);
  }

  /** The metadata box as an object; text that is not JSON is a problem of that field. */
  function metadataOf(text) {
    if (text === '') return {};
    try {
      return JSON.parse(text);
    } catch (error) {
      throw { field: 'metadata', message: `is not valid JSON (${error && error.message ? error.message : 'parse error'})` };
    }
  }

  /** One field's value as the API takes it; `undefined` leaves it out (the default). */
  function valueOf(form, name, editing) {
    const text = textOf(form, name);
    switch (name) {
      case 'actions':
        return text === '' ? [] : text.split(/[\s,]+/).filter(Boolean);
      case 'minScore':
        return text === '' ? (editing ? 0 : undefined) : integerOf(form, name);
      case 'maxScore':
        return text === '' ? (editing ? MAX_SCORE : undefined) : integerOf(form, name);
      case 'keepPeriods':
        return text === '' ? null : integerOf(form, name);
      case 'startsAt':
      case 'endsAt':
        return text === '' ? null : text;
      case 'reset':
        return text === '' || text === 'never' ? null : text;
      case 'metadata':
        return metadataOf(text);
      default:
        return text === '' ? undefined : text;
    }
  }

  /** The body to send: every field given for a new board; for an edit, only what changed since `original`. */
  function bodyOf(form, editing, original) {
    const body = {};
    for (const field of FIELDS) {
      if (editing && field.fixed) continue;
      if (editing && original && original[field.name] === formText(form, field.name)) continue;
      const value = valueOf(form, field.name, editing);
      if (value !== undefined) body[field.name] = value;
    }
    return body;
  }

  // ---------------------------------------------------------------- filling the form
  /** The form's text for a board's value of `name`. */
  function textFor(board, name) {
    const value = board[name];
    if (name === 'actions') return Array.isArray(value) ? value.join(', ') : '';
    if (name === 'metadata') return value && Object.keys(value).length > 0 ? JSON.stringify(value, null, 1) : '';
    return value === null || value === undefined ? '' : String(value);
  }

  /** A board's values (the fixed fields locked), or the defaults of a new one when `board` is null. */
  function fill(form, board) {
    for (const field of FIELDS) {
      const { input, wrap } = form.inputs[field.name];
      input.value = board ? textFor(board, field.name) : field.options ? field.options[0][0] : '';
      input.disabled = Boolean(board && field.fixed);
      wrap.classList.toggle('fixed', Boolean(board && field.fixed));
    }
  }

  /**
   * Builds the fields into `ctx.el.fields`. The answer fills and reads them: `body(editing, original)`
   * throws `{field, message}` for a field the page can tell is wrong (metadata that is not JSON).
   */
  function createFields(ctx) {
    const form = { inputs: {}, container: ctx.el.fields, formError: ctx.el.formError };
    for (const field of FIELDS) addField(form, ctx.h, field);
    return Object.freeze({
      clearErrors: () => clearErrors(form),
      showProblems: (problems, fallback) => showProblems(form, problems, fallback),
      body: (editing, original) => bodyOf(form, editing, original),
      fill: (board) => fill(form, board),
      /** The text of every field, by name: what an edit compares against. */
      snapshot: () => Object.fromEntries(FIELDS.map((field) => [field.name, formText(form, field.name)])),
      focus: (name, options) => form.inputs[name].input.focus(options),
    });
  }

  ns.createFields = createFields;
})();
