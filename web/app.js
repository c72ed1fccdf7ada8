// The live page: renders the top 10 and keeps it current by polling the changes endpoint.
(() => {
  const rows = document.getElementById('rows');
  const state = document.getElementById('state');
  const empty = document.getElementById('empty');
  const updated = document.getElementById('updated');
  const previous = new Map();
  let since = null;
  let failures = 0;

  function setState(name, text) {
    state.dataset.state = name;
    state.textContent = text;
  }

  function render(entries) {
    const fragment = document.createDocumentFragment();
    for (const entry of entries) {
      const tr = document.createElement('tr');
      tr.dataset.userId = entry.userId;
      const cells = [
        ['rank', String(entry.rank)],
        ['name', entry.username || entry.userId],
        ['score', entry.score.toLocaleString()],
      ];
      for (const [cls, text] of cells) {
        const td = document.createElement('td');
        td.className = cls;
        td.textContent = text;
        tr.appendChild(td);
      }
      const before = previous.get(entry.userId);
      if (before && (before.score !== entry.score || before.rank !== entry.rank)) tr.classList.add('changed');
      if (!before && previous.size > 0) tr.classList.add('changed');
      fragment.appendChild(tr);
    }
    rows.replaceChildren(fragment);
    previous.clear();
    for (const entry of entries) previous.set(entry.userId, { score: entry.score, rank: entry.rank });
    empty.hidden = entries.length > 0;
    updated.textContent = new Date().toLocaleTimeString();
  }

  async function poll() {
    try {
      const query = since ? `?since=${encodeURIComponent(since)}` : '';
      const response = await fetch(`/api/v1/scores/leaderboard/changes${query}`, { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { data } = await response.json();
      if (data.hasChanges) render(data.leaderboard);
      since = data.lastUpdated;
      failures = 0;
      setState('polling', 'live (polling)');
    } catch {
      failures += 1;
      setState('offline', 'offline, retrying…');
    }
    // Back off while the server is unreachable, up to 30 s.
    setTimeout(poll, failures === 0 ? 1000 : Math.min(30000, 1000 * 2 ** failures));
  }

  poll();
})();
