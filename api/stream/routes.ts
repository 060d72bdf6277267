import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import { revocationWatch, type RevocationWatch } from '../revocation-watch.js';
import { STREAM_DEFAULTS, type StreamOptions } from './access.js';
import { EventHub } from './event-hub.js';
import { sseStreamRoute } from './sse.js';
import { websocketStreamRoute } from './websocket.js';

export type { StreamOptions } from './access.js';

/**
 * The live stream (WebSocket `/api/stream` and SSE `/api/conversations/:id/stream`) on one event hub: one
 * LISTEN connection per process, opened with the first subscriber, closed with the app. A stream opened with
 * a project token ends when that token is revoked: `revocations` is the app's watch, shared with the token
 * routes so a revocation closes streams at once; a bare app (some tests) gets one of its own.
 */
export function streamRoutes(
  app: FastifyInstance,
  deps: Pick<AppDeps, 'db' | 'pool' | 'logger'> & { revocations?: RevocationWatch },
  options: StreamOptions = {},
) {
  const hub = new EventHub({ db: deps.db, connection: deps.pool.options, log: deps.logger });
  const revocations = deps.revocations ?? revocationWatch(deps.db, deps.logger);
  app.register(async (scope) => {
    // buildApp registers the plugin once for every WebSocket route; a bare app (some tests) has it here.
    if (!scope.hasDecorator('websocketServer')) await scope.register(websocket, { options: { maxPayload: 64 * 1024 } });
    websocketStreamRoute(scope, { db: deps.db, hub, revocations, options });
    const endStreams = sseStreamRoute(scope, { db: deps.db, hub, revocations, options: { sseHeartbeatMs: STREAM_DEFAULTS.sseHeartbeatMs, ...options } });
    // Open SSE responses would hold app.close() until clients leave; end them so a restart is prompt.
    scope.addHook('preClose', async () => endStreams());
    scope.addHook('onClose', async () => {
      if (!deps.revocations) revocations.close();
      await hub.close();
    });
  });
  return hub;
}
