import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import { STREAM_DEFAULTS, type StreamOptions } from './access.js';
import { EventHub } from './event-hub.js';
import { sseStreamRoute } from './sse.js';
import { websocketStreamRoute } from './websocket.js';

export type { StreamOptions } from './access.js';

/**
 * The live stream (WebSocket `/api/stream` and SSE `/api/conversations/:id/stream`) on one event hub: one
 * LISTEN connection per process, opened with the first subscriber, closed with the app.
 */
export function streamRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'db' | 'pool' | 'logger'>, options: StreamOptions = {}) {
  const hub = new EventHub({ db: deps.db, connection: deps.pool.options, log: deps.logger });
  app.register(async (scope) => {
    // buildApp registers the plugin once for every WebSocket route; a bare app (some tests) has it here.
    if (!scope.hasDecorator('websocketServer')) await scope.register(websocket, { options: { maxPayload: 64 * 1024 } });
    websocketStreamRoute(scope, { db: deps.db, hub, options });
    const endStreams = sseStreamRoute(scope, { db: deps.db, hub, options: { sseHeartbeatMs: STREAM_DEFAULTS.sseHeartbeatMs, ...options } });
    // Open SSE responses would hold app.close() until clients leave; end them so a restart is prompt.
    scope.addHook('preClose', async () => endStreams());
    scope.addHook('onClose', async () => hub.close());
  });
  return hub;
}
