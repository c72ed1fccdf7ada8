/** The rank watcher's counters as the server's /metrics shows them. */
export interface RankWatchFigures {
  ticks: number;
  wallSec: number;
  cpuSec: number;
  players: number;
  moves: number;
  skipped: number;
}

function value(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

export async function readRankWatch(serverUrl: string): Promise<RankWatchFigures> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  return {
    ticks: value(text, 'rank_watch_tick_seconds_count'),
    wallSec: value(text, 'rank_watch_tick_seconds_sum'),
    cpuSec: value(text, 'rank_watch_cpu_seconds_total'),
    players: value(text, 'rank_watch_players_checked_total'),
    moves: value(text, 'rank_watch_moves_told_total'),
    skipped: value(text, 'rank_watch_ticks_skipped_total'),
  };
}

export function diffRankWatch(before: RankWatchFigures, after: RankWatchFigures): RankWatchFigures {
  return {
    ticks: after.ticks - before.ticks,
    wallSec: after.wallSec - before.wallSec,
    cpuSec: after.cpuSec - before.cpuSec,
    players: after.players - before.players,
    moves: after.moves - before.moves,
    skipped: after.skipped - before.skipped,
  };
}
