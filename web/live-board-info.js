// The live page's board chrome: the board and period pickers, what the board is (order, operator,
// reset, season, metadata), the title and headings, and the period line with its countdown.
// `ScoreboardLive.boardInfo`.
(() => {
  'use strict';

  const L = window.ScoreboardLive;
  const { el, state: S } = L;
  const { GLOBAL, TOP_LIMIT } = L.consts;
  const { fmt, formatCountdown, timeFormat, periodLabel, resetText, metadataText, OPERATORS } = L.format;
  const { isGlobalView, isPastView, isDuration } = L.view;

  /** The board list in the picker; hidden while only the global board exists. */
  function renderBoardPicker() {
    const { view, boards } = S;
    const options = boards.map((board) => option(board.id, board.title || board.id));
    if (!boards.some((board) => board.id === view.boardId)) options.push(option(view.boardId, view.boardId));
    el.boardPicker.replaceChildren(...options);
    el.boardPicker.value = view.boardId;
    el.picker.hidden = boards.length <= 1 && isGlobalView();
  }

  function option(value, text) {
    const node = document.createElement('option');
    node.value = value;
    node.textContent = text;
    return node;
  }

  /** Current, previous, then the board's other kept periods that have entries, newest first. */
  function renderPeriodPicker() {
    const { view, periods } = S;
    const board = view.board;
    const resets = Boolean(board && board.reset);
    el.periodControl.hidden = !resets;
    if (!resets) return;
    const current = board.period;
    const previous = periods.find((period) => current && current.startsAt && period.endsAt === current.startsAt);
    // The line under the pickers spells out the period shown; the options stay short enough for a phone.
    const options = [option('current', 'Current period'), option('previous', 'Previous period')];
    for (const period of periods) {
      if ((current && period.id === current.id) || (previous && period.id === previous.id)) continue;
      options.push(option(period.id, periodLabel(period, board)));
    }
    if (!options.some((node) => node.value === view.period)) {
      options.push(option(view.period, view.shown && view.shown.id === view.period ? periodLabel(view.shown, board) : view.period));
    }
    el.periodPicker.replaceChildren(...options);
    el.periodPicker.value = view.period;
  }

  /** The board's rules as short lines: order, how entries count, reset, players, season. */
  function ruleLines(board) {
    const lines = [];
    const lowest = board.sortOrder === 'asc';
    lines.push([isDuration() ? (lowest ? 'Fastest time first' : 'Longest time first') : lowest ? 'Lowest first' : 'Highest first', 'order']);
    const operator = isDuration() && board.operator === 'best' ? 'Best time counts' : OPERATORS[board.operator] || board.operator;
    lines.push([board.id === GLOBAL ? 'Every action adds up' : operator]);
    lines.push([resetText(board)]);
    if (Number.isFinite(Number(board.totalEntries))) {
      const count = Number(board.totalEntries);
      lines.push([`${fmt(count)} player${count === 1 ? '' : 's'}${board.reset ? ' this period' : ''}`, 'count']);
    }
    if (board.startsAt) lines.push([`${Date.parse(board.startsAt) > Date.now() ? 'Opens' : 'Opened'} ${timeFormat.format(new Date(board.startsAt))}`]);
    if (board.endsAt) lines.push([`${Date.parse(board.endsAt) > Date.now() ? 'Closes' : 'Closed'} ${timeFormat.format(new Date(board.endsAt))}`]);
    return lines;
  }

  /** What the board is: its rules, then its metadata (key: value, the value isolated). */
  function renderBoardInfo() {
    const board = S.view.board;
    const items = [];
    const item = (text, className) => {
      const li = document.createElement('li');
      if (className) li.className = className;
      li.textContent = text;
      items.push(li);
      return li;
    };
    if (board) {
      for (const [text, className] of ruleLines(board)) item(text, className);
      const metadata = board.metadata && typeof board.metadata === 'object' ? board.metadata : {};
      for (const [key, value] of Object.entries(metadata).slice(0, 12)) {
        if (key === 'format' && value === 'duration-ms') continue; // shown as the times themselves
        const li = item('');
        const name = document.createElement('b');
        name.textContent = key;
        const text = document.createElement('bdi');
        text.textContent = metadataText(value);
        li.append(name, ': ', text);
        li.title = `${key}: ${metadataText(value)}`;
      }
    }
    el.boardInfo.replaceChildren(...items);
  }

  /** The title, the table's caption and headings, and the period line, for the board shown. */
  function renderChrome() {
    const { view } = S;
    const board = view.board;
    const title = isGlobalView() ? 'Leaderboard' : (board && board.title) || view.boardId;
    el.title.textContent = title;
    document.title = isGlobalView() ? 'Scoreboard — live leaderboard' : `${title} — Scoreboard`;
    const lowest = board && board.sortOrder === 'asc';
    const what = isDuration() ? 'time' : 'score';
    el.caption.textContent = `Top ${TOP_LIMIT} players by ${what}, ${lowest ? 'lowest' : 'highest'} first`;
    el.scoreHeading.textContent = isDuration() ? 'Time' : 'Score';
    el.empty.textContent = board && board.reset ? 'No scores in this period yet.' : 'No scores yet.';
    L.player.render();
    renderBoardInfo();
    renderPeriodPicker();
    renderPeriodLine();
  }

  /** The period shown and, for the current one, the time left until the next reset. */
  function renderPeriodLine() {
    const { view } = S;
    const board = view.board;
    const shown = view.shown || (board && !isPastView() ? board.period : null);
    const hasPeriods = Boolean(board && (board.reset || board.endsAt || board.startsAt));
    el.periodLine.hidden = !hasPeriods;
    if (!hasPeriods) return;
    el.periodRange.textContent = board.reset ? periodLabel(shown, board) : '';
    tickCountdown();
  }

  /** The countdown's text and the instant it counts to (null: nothing to count). */
  function countdown(board, now) {
    if (isPastView()) return { text: S.view.shown && S.view.shown.endsAt ? 'Ended' : '', target: null };
    if (board.startsAt && Date.parse(board.startsAt) > now) {
      const target = Date.parse(board.startsAt);
      return { text: `Opens in ${formatCountdown(target - now)}`, target };
    }
    if (board.reset && board.period && board.period.endsAt) {
      const target = Date.parse(board.period.endsAt);
      if (target <= now) void L.boards.rollover(board.period.id);
      return { text: target > now ? `Next reset in ${formatCountdown(target - now)}` : 'New period starting…', target };
    }
    if (board.endsAt) {
      const target = Date.parse(board.endsAt);
      return { text: target > now ? `Closes in ${formatCountdown(target - now)}` : 'Closed', target };
    }
    return { text: '', target: null };
  }

  let countdownTimer = null;
  /** Once a second while a countdown is on screen; at the boundary the page looks for the new period. */
  function tickCountdown() {
    clearTimeout(countdownTimer);
    countdownTimer = null;
    const board = S.view.board;
    if (!board || el.periodLine.hidden) return;
    const now = Date.now();
    let { text, target } = countdown(board, now);
    // A board with both a reset and a season end: no period runs past the season.
    if (board.reset && board.endsAt && Date.parse(board.endsAt) <= now && !isPastView()) text = 'Closed';
    el.countdown.textContent = text;
    el.countdown.dataset.state = target !== null && target - now < 10000 ? 'soon' : '';
    if (target !== null || (board.reset && !isPastView())) {
      countdownTimer = setTimeout(tickCountdown, 1000 - (now % 1000) + 20);
    }
  }

  L.boardInfo = Object.freeze({ renderBoardPicker, renderPeriodPicker, renderBoardInfo, renderChrome, renderPeriodLine });
})();
