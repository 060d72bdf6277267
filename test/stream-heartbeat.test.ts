import Fastify, { type FastifyBaseLogger } from 'fastify';
import { productLogger } from './helpers/logs.js';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { streamRoutes } from '../api/stream/routes.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { StreamClient } from './helpers/stream-client.js';

describe('the WebSocket heartbeat', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
  });
  afterAll(() => database?.drop());

  it('drops a client that misses two pings, and keeps one that answers', async () => {
    const logger = productLogger('api').logger;
    const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
    streamRoutes(app, { db: database.db, pool: database.pool, logger }, { pingIntervalMs: 100 });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const silent = await StreamClient.open(url);
      const lively = await StreamClient.open(url);
      silent.pauseReading();
      // Two unanswered pings 100 ms apart, then the third tick ends it; a paused client sees that once it reads.
      await new Promise((r) => setTimeout(r, 600));
      silent.resumeReading();
      expect((await silent.closed).code).toBe(1006);
      expect(lively.ws.readyState).toBe(lively.ws.OPEN);
      await lively.close();
    } finally {
      await app.close();
    }
  });
});
