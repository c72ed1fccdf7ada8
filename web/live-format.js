// The live page's formats: numbers, times, periods and a board's rules in words. Pure: no DOM, no
// state. Loaded first of the page's scripts (web/app.js lists them all), as `ScoreboardLive.format`.
(() => {
  'use strict';

  const L = (window.ScoreboardLive = window.ScoreboardLive || {});
  const numberFormat = new Intl.NumberFormat();
  const fmt = (value) => (Number.isFinite(value) ? numberFormat.format(value) : '—');

  /** 65432 → "1:05.432", 3725000 → "1:02:05.000": a time in milliseconds, as a stopwatch shows it. */
  function formatDuration(ms) {
    if (!Number.isFinite(ms)) return '—';
    const sign = ms < 0 ? '−' : '';
    const total = Math.round(Math.abs(ms));
    const millis = String(total % 1000).padStart(3, '0');
    const seconds = Math.floor(total / 1000) % 60;
    const minutes = Math.floor(total / 60000) % 60;
    const hours = Math.floor(total / 3600000);
    const ss = String(seconds).padStart(2, '0');
    return hours > 0 ? `${sign}${hours}:${String(minutes).padStart(2, '0')}:${ss}.${millis}` : `${sign}${minutes}:${ss}.${millis}`;
  }

  /** What is left until a reset: "0:42", "12:05", "5:03:10", "3 d 4 h". */
  function formatCountdown(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    if (seconds >= 86400) return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const ss = String(seconds % 60).padStart(2, '0');
    return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const DAY_MS = 86400000;

  /** A period in words: its dates when it spans whole days (in the board's zone), else its times here. */
  function periodLabel(period, board) {
    if (!period || !period.startsAt) return 'All time';
    const start = new Date(period.startsAt);
    const end = period.endsAt ? new Date(period.endsAt) : null;
    if (!end) return `Since ${timeFormat.format(start)}`;
    if (end.getTime() - start.getTime() >= DAY_MS) {
      let dates;
      try {
        dates = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: (board && board.timezone) || 'UTC' });
      } catch {
        dates = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
      }
      // The end is exclusive: a daily period is one date, a weekly one Monday to Sunday.
      const last = new Date(end.getTime() - 1);
      return typeof dates.formatRange === 'function' ? dates.formatRange(start, last) : `${dates.format(start)} – ${dates.format(last)}`;
    }
    return typeof timeFormat.formatRange === 'function' ? timeFormat.formatRange(start, end) : `${timeFormat.format(start)} – ${timeFormat.format(end)}`;
  }

  const RESETS = { daily: 'Resets daily', weekly: 'Resets weekly (Monday)', monthly: 'Resets monthly (the 1st)' };
  const OPERATORS = { increment: 'Scores add up', best: 'Best score counts', latest: 'Latest score counts' };

  function resetText(board) {
    if (!board.reset) return 'Never resets';
    const zone = board.timezone && board.timezone !== 'UTC' ? `, ${board.timezone}` : '';
    if (RESETS[board.reset]) return `${RESETS[board.reset]}${zone}`;
    if (board.reset === '* * * * *') return 'Resets every minute';
    if (/^0 \* \* \* \*$/.test(board.reset)) return `Resets every hour${zone}`;
    return `Resets on "${board.reset}"${zone}`;
  }

  /** A metadata value as short text (objects as JSON). */
  function metadataText(value) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return String(value);
    try {
      return JSON.stringify(value);
    } catch {
      return '';
    }
  }

  L.format = Object.freeze({ fmt, formatDuration, formatCountdown, timeFormat, periodLabel, resetText, metadataText, OPERATORS });
})();
