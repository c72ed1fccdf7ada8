import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

/** `web/` at the package root (from `src/http` or `dist/http`). */
const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

const PAGES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/common.js': { file: 'common.js', type: 'text/javascript; charset=utf-8' },
  '/live-format.js': { file: 'live-format.js', type: 'text/javascript; charset=utf-8' },
  '/live-view.js': { file: 'live-view.js', type: 'text/javascript; charset=utf-8' },
  '/live-player.js': { file: 'live-player.js', type: 'text/javascript; charset=utf-8' },
  '/live-table.js': { file: 'live-table.js', type: 'text/javascript; charset=utf-8' },
  '/live-board-info.js': { file: 'live-board-info.js', type: 'text/javascript; charset=utf-8' },
  '/live-boards.js': { file: 'live-boards.js', type: 'text/javascript; charset=utf-8' },
  '/live-rest.js': { file: 'live-rest.js', type: 'text/javascript; charset=utf-8' },
  '/live-status.js': { file: 'live-status.js', type: 'text/javascript; charset=utf-8' },
  '/live-poll.js': { file: 'live-poll.js', type: 'text/javascript; charset=utf-8' },
  '/live-socket.js': { file: 'live-socket.js', type: 'text/javascript; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/admin': { file: 'admin.html', type: 'text/html; charset=utf-8' },
  '/admin.js': { file: 'admin.js', type: 'text/javascript; charset=utf-8' },
  '/admin-boards-format.js': { file: 'admin-boards-format.js', type: 'text/javascript; charset=utf-8' },
  '/admin-boards-form.js': { file: 'admin-boards-form.js', type: 'text/javascript; charset=utf-8' },
  '/admin-boards-editor.js': { file: 'admin-boards-editor.js', type: 'text/javascript; charset=utf-8' },
  '/admin-boards-list.js': { file: 'admin-boards-list.js', type: 'text/javascript; charset=utf-8' },
  '/admin-boards-entries.js': { file: 'admin-boards-entries.js', type: 'text/javascript; charset=utf-8' },
  '/admin-boards.js': { file: 'admin-boards.js', type: 'text/javascript; charset=utf-8' },
};

/** The live leaderboard page and the admin dashboard: static files read once at start. */
export const pageRoutes: FastifyPluginAsync = async (app) => {
  for (const [path, page] of Object.entries(PAGES)) {
    const content = readFileSync(`${WEB_DIR}${page.file}`);
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply.type(page.type).header('cache-control', 'no-cache').send(content),
    );
  }
};
