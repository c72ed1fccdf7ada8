// What the live page (app.js) and the admin dashboard (admin.js) share (no build step, no framework).
// Loaded before either page's script, with `defer`, so both find it as `window.Scoreboard`.
(() => {
  'use strict';

  /** Three base64url parts separated by dots: what a JWT looks like (the server verifies it). */
  const JWT_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

  /** A token kept in sessionStorage under `key` (this tab only), in memory when storage is disabled. */
  function tokenStore(key) {
    let memoryToken = null;
    function store(value) {
      memoryToken = value;
      try {
        if (value) sessionStorage.setItem(key, value);
        else sessionStorage.removeItem(key);
      } catch {
        /* storage disabled: keep it in memory */
      }
    }
    function stored() {
      try {
        return sessionStorage.getItem(key) || memoryToken;
      } catch {
        return memoryToken;
      }
    }
    return { store, stored };
  }

  /** The token's claims, for display only (the server verifies the token). */
  function claimsOf(value) {
    try {
      const part = value.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const bytes = Uint8Array.from(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
      const claims = JSON.parse(new TextDecoder().decode(bytes));
      return claims && typeof claims === 'object' ? claims : {};
    } catch {
      return {};
    }
  }

  /** Sets the connection-state pill (`data-state` and its text) and the detail line under the page. */
  function stateSetter(stateEl, detailEl) {
    return function setState(name, text, detail) {
      if (stateEl.dataset.state !== name) stateEl.dataset.state = name;
      if (stateEl.textContent !== text) stateEl.textContent = text;
      detailEl.textContent = detail || '';
    };
  }

  /** Loads the Socket.IO client script once; resolves to whether `window.io` is there. */
  function loadClient(src) {
    return new Promise((resolve) => {
      if (typeof window.io === 'function') return resolve(true);
      const script = document.createElement('script');
      script.src = src;
      script.async = true;
      script.onload = () => resolve(typeof window.io === 'function');
      script.onerror = () => {
        script.remove();
        resolve(false);
      };
      document.head.appendChild(script);
    });
  }

  /** The transport a Socket.IO socket uses now, in words ('' when unknown). */
  function transportName(socket) {
    const name = socket && socket.io && socket.io.engine && socket.io.engine.transport ? socket.io.engine.transport.name : '';
    return name === 'websocket' ? 'WebSocket' : name === 'polling' ? 'HTTP long-polling' : name === 'webtransport' ? 'WebTransport' : name;
  }

  /**
   * For the cases where socket.io-client does not retry by itself (refused or closed by the server):
   * `later()` connects `getSocket()` again after a growing delay, with jitter, so that clients dropped
   * together by a restarting server do not return together. `reset()` once connected; `cancel()`
   * drops a pending attempt.
   */
  function reconnector(getSocket) {
    let manualTimer = null;
    let manualRetries = 0;
    return {
      later() {
        clearTimeout(manualTimer);
        const delay = Math.min(30000, 2000 * 2 ** manualRetries) * (0.5 + Math.random());
        manualRetries += 1;
        manualTimer = setTimeout(() => {
          const socket = getSocket();
          if (socket && !socket.connected) socket.connect();
        }, delay);
      },
      reset() {
        manualRetries = 0;
        clearTimeout(manualTimer);
      },
      cancel() {
        clearTimeout(manualTimer);
      },
    };
  }

  /**
   * A Socket.IO socket on this server, as both pages open it: retrying for ever with a growing,
   * jittered delay, sending `getToken()` as it is at each (re)connection. `extra`: more options.
   */
  function openSocket(getToken, timeoutMs, extra = {}) {
    return window.io({
      path: '/socket.io',
      auth: (cb) => {
        const token = getToken();
        cb(token ? { token } : {});
      },
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 15000,
      randomizationFactor: 0.5,
      timeout: timeoutMs,
      ...extra,
    });
  }

  window.Scoreboard = Object.freeze({ JWT_PATTERN, tokenStore, claimsOf, stateSetter, loadClient, transportName, reconnector, openSocket });
})();
