/**
 * The founder's web console (the built SPA in console/dist) at /. Any other GET outside /api that names no
 * file gets index.html, so a reload on a client-side route (/projects/<id>/conversations/<id>) reopens it.
 */
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The route pattern the static files answer on; the auth hook reads the raw path for it instead. */
export const CONSOLE_WILDCARD = '/*';

export function consoleRoutes(app: FastifyInstance, dir: string) {
  void app.register(fastifyStatic, {
    root: path.resolve(dir),
    prefix: '/',
    // Vite names assets by content hash, so they never change; index.html must always be fetched afresh.
    setHeaders: (res, file) => {
      res.header('cache-control', file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
}

/** Whether a request that found nothing should get the console's index.html rather than a JSON 404. */
export function wantsConsolePage(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const pathname = req.url.split('?')[0] ?? '';
  if (pathname.startsWith('/api/') || pathname === '/api' || pathname === '/health') return false;
  // A missing asset (a file name with an extension) is a real 404, not a page.
  return !/\.[a-z0-9]{1,8}$/i.test(pathname);
}

export const sendConsolePage = (reply: FastifyReply) => reply.type('text/html; charset=utf-8').sendFile('index.html');
