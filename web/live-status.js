// The live page's connection badge: live, polling, offline, reconnecting, a past period.
// `ScoreboardLive.status`.
(() => {
  'use strict';

  const L = window.ScoreboardLive;
  const { el, state: S } = L;
  const { isBoardLive, isPastView } = L.view;

  const POLL_MS = 2000;
  const setState = Scoreboard.stateSetter(el.state, el.detail);

  /** The board shown is live but its subscription is not: it is polled beside a connected socket. */
  const boardFallback = () => isBoardLive() && S.conn.live && S.sub.state === 'failed';

  function update() {
    const { conn, sub } = S;
    const attempt = conn.attempt > 0 ? ` (attempt ${conn.attempt})` : '';
    if (conn.live && isPastView()) {
      setState('archive', 'Past period', 'Final results of an ended period');
    } else if (conn.live && boardFallback()) {
      if (conn.pollFailures > 0) setState('offline', 'Offline — retrying…', 'Server unreachable');
      else setState('polling', 'Polling fallback', `Live updates of this board unavailable; checking every ${POLL_MS / 1000} s`);
    } else if (conn.live && isBoardLive() && sub.state !== 'ok') {
      setState('connecting', 'Connecting…', 'Subscribing to the board');
    } else if (conn.live) {
      setState('live', 'Live', conn.transport ? `Connected via ${conn.transport}` : '');
    } else if (navigator.onLine === false) {
      setState('offline', 'Offline', 'Waiting for the network');
    } else if (conn.polling && conn.pollFailures > 0) {
      setState('offline', 'Offline — retrying…', `Server unreachable${attempt}`);
    } else if (conn.polling) {
      setState('polling', 'Polling fallback', `Live connection unavailable; checking every ${POLL_MS / 1000} s${conn.attempt > 0 ? `, reconnect attempt ${conn.attempt}` : ''}`);
    } else if (conn.everLive || conn.attempt > 0) {
      setState('reconnecting', `Reconnecting…${attempt}`, '');
    } else {
      setState('connecting', 'Connecting…', '');
    }
  }

  L.status = Object.freeze({ update, boardFallback, POLL_MS });
})();
