// The admin dashboard's boards section, how dates and periods read: an instant in the viewer's zone,
// a period as its board's schedule cuts it in the board's time zone. No DOM here. Part of
// `window.ScoreboardAdminBoards` (see admin-boards.js); loaded first of the section's scripts.
(() => {
  'use strict';

  const ns = (window.ScoreboardAdminBoards = window.ScoreboardAdminBoards || {});

  /** First strong isolate … pop directional isolate: `<bdi>` for text that cannot hold elements (an <option>). */
  const isolate = (text) => `\u2068${text}\u2069`;

  const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

  /** An instant in the viewer's zone; '—' without a valid one. */
  function when(iso) {
    const date = new Date(iso);
    return iso && !Number.isNaN(date.getTime()) ? dateFormat.format(date) : '—';
  }

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

  ns.format = Object.freeze({ isolate, when, periodText });
})();
