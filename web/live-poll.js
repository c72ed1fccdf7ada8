// The live page's polling fallback: while the socket cannot connect (after a couple of connect
// errors, or when the client script does not load), and for a board whose subscription the server
// refused or never acknowledged. It stops as soon as the live path is back. `ScoreboardLive.poll`.
(() => {
  'use strict';

  const L = window.ScoreboardLive;
  const { state: S } = L;
  const { API } = L.consts;
  const { isGlobalView, request, setPrivate } = L.view;
  const { POLL_MS } = L.status;

  const POLL_MAX_MS = 30000;
  const HIDDEN_POLL_MS = 15000;

  let pollTimer = null;
  let pollGeneration = 0;
  let pollRunning = false;
  /** The global board's `lastUpdated` of the last poll (the changes endpoint's `since`). */
  let since = null;

  const pollerWanted = () => S.conn.polling || L.status.boardFallback();

  /** The socket is down: poll whatever is shown until it is back. */
  function start() {
    if (S.conn.polling) return;
    S.conn.polling = true;
    S.conn.pollFailures = 0;
    sync();
    L.status.update();
  }

  function stop() {
    if (!S.conn.polling) return;
    S.conn.polling = false;
    sync();
    L.status.update();
  }

  /** Starts or stops the poll loop to match what the page needs now. */
  function sync() {
    const wanted = pollerWanted();
    if (wanted === pollRunning) return;
    pollRunning = wanted;
    pollGeneration += 1;
    clearTimeout(pollTimer);
    pollTimer = null;
    if (wanted) {
      S.conn.pollFailures = 0;
      since = null;
      void poll(pollGeneration);
    }
  }

  function schedule(generation, delay) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(() => void poll(generation), delay);
  }

  /** One poll of the global board's changes: `next`, or a delay to wait before the next poll. */
  async function pollGlobal(generation) {
    const version = S.liveVersion;
    const shown = S.view.version;
    const response = await request(`${API}/leaderboard/changes${since ? `?since=${encodeURIComponent(since)}` : ''}`);
    if (generation !== pollGeneration) return 'stale';
    if (response.status === 401) return L.rest.unauthorized() === 'retry' ? 0 : 'private';
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { data } = await response.json();
    if (generation !== pollGeneration) return 'stale';
    if (S.isPrivate) setPrivate(false);
    if (shown === S.view.version && isGlobalView()) {
      if (data.hasChanges && version === S.liveVersion) {
        L.table.render(data.leaderboard, data.lastUpdated);
        L.player.scheduleAround();
      }
      since = data.lastUpdated;
    }
    return 'next';
  }

  /** One poll of what is shown; the server answering again after failures brings the socket back at once. */
  async function poll(generation) {
    pollTimer = null;
    const { conn } = S;
    try {
      const result = isGlobalView() ? await pollGlobal(generation) : await L.rest.fetchBoardEntries();
      if (generation !== pollGeneration || result === 'stale') return;
      if (typeof result === 'number') return schedule(generation, result);
      if (result === 'private') {
        // Private: check now and then whether that changed.
        conn.pollFailures = 0;
        L.status.update();
        return schedule(generation, POLL_MAX_MS);
      }
      if (conn.pollFailures > 0) {
        L.live.retryNow();
        L.player.refresh();
      }
      conn.pollFailures = 0;
    } catch {
      if (generation !== pollGeneration) return;
      conn.pollFailures += 1;
    }
    L.status.update();
    let delay = conn.pollFailures === 0 ? POLL_MS : Math.min(POLL_MAX_MS, POLL_MS * 2 ** conn.pollFailures);
    if (document.hidden) delay = Math.max(delay, HIDDEN_POLL_MS);
    schedule(generation, delay);
  }

  /** Polls at once (back online, the tab shown again) when the loop runs. */
  function now() {
    if (pollRunning) schedule(pollGeneration, 0);
  }

  L.poll = Object.freeze({ start, stop, sync, now, forgetSince: () => (since = null) });
})();
