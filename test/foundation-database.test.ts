import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { runMigrations } from '../db/migrate.js';
import { projectRoot } from '../lib/config.js';
import { appendSessionEvent, listSessionEvents } from '../db/queries/session-events.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

describe('the Postgres schema', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
  });
  afterAll(() => database?.drop());

  const columns = async (table: string) =>
    (
      await database.pool.query(
        `select column_name, data_type, column_default, is_nullable from information_schema.columns
         where table_schema = 'public' and table_name = $1 order by ordinal_position`,
        [table],
      )
    ).rows.map((r) => [r.column_name, r.data_type, r.column_default, r.is_nullable]);

  // The seed's columns come first, exactly as the seed gives them; the product's own columns follow.
  it("keeps the seed's agent_sessions columns, types and defaults", async () => {
    expect((await columns('agent_sessions')).slice(0, 15)).toEqual([
      ['id', 'uuid', 'gen_random_uuid()', 'NO'],
      ['project_id', 'text', null, 'NO'],
      ['module', 'text', "'code'::text", 'NO'],
      ['app_name', 'text', null, 'NO'],
      ['app_path', 'text', null, 'NO'],
      ['task', 'text', null, 'NO'],
      ['plan', 'jsonb', null, 'YES'],
      ['status', 'text', "'pending'::text", 'NO'],
      ['output', 'jsonb', "'[]'::jsonb", 'NO'],
      ['changed_files', 'jsonb', "'[]'::jsonb", 'NO'],
      ['error', 'text', null, 'YES'],
      ['started_at', 'timestamp with time zone', null, 'YES'],
      ['completed_at', 'timestamp with time zone', null, 'YES'],
      ['created_at', 'timestamp with time zone', 'now()', 'NO'],
      ['updated_at', 'timestamp with time zone', 'now()', 'NO'],
    ]);
  });

  it("keeps the seed's advisor_conversations and advisor_memory columns", async () => {
    expect((await columns('advisor_conversations')).slice(0, 9).map((c) => c.slice(0, 3))).toEqual([
      ['id', 'uuid', 'gen_random_uuid()'],
      ['project_id', 'text', null],
      ['module', 'text', "'assist'::text"],
      ['messages', 'jsonb', "'[]'::jsonb"],
      ['context_snapshot', 'jsonb', null],
      ['outcome', 'text', null],
      ['session_ids', 'ARRAY', "'{}'::uuid[]"],
      ['created_at', 'timestamp with time zone', 'now()'],
      ['updated_at', 'timestamp with time zone', 'now()'],
    ]);
    // The seed's columns first, in its order; the product's additions (pinned, closed_at, search) come after.
    expect((await columns('advisor_memory')).map((c) => c.slice(0, 3)).slice(0, 9)).toEqual([
      ['id', 'uuid', 'gen_random_uuid()'],
      ['project_id', 'text', null],
      ['category', 'text', null],
      ['key', 'text', null],
      ['value', 'text', null],
      ['confidence', 'real', '1'],
      ['source_conversation_id', 'uuid', null],
      ['created_at', 'timestamp with time zone', 'now()'],
      ['updated_at', 'timestamp with time zone', 'now()'],
    ]);
  });

  it('has the product tables: projects, session_events, llm_calls', async () => {
    expect((await columns('projects')).map((c) => c[0])).toEqual(
      expect.arrayContaining(['name', 'repo_url', 'default_branch', 'deploy', 'timezone', 'token_hash']),
    );
    expect((await columns('session_events')).map((c) => c[0])).toEqual(
      expect.arrayContaining(['conversation_id', 'session_id', 'seq', 'kind', 'payload', 'created_at']),
    );
    expect((await columns('llm_calls')).map((c) => c[0])).toEqual(
      expect.arrayContaining(['model', 'tier', 'input_tokens', 'output_tokens', 'cached_tokens', 'cost_usd', 'latency_ms', 'session_id']),
    );
  });

  it('migrates again, from several processes at once, without harm', async () => {
    await Promise.all([runMigrations(database.url), runMigrations(database.url), runMigrations(database.url)]);
    const { rows } = await database.pool.query('select count(*)::int as n from drizzle.__drizzle_migrations');
    expect(rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('is applied to an empty database by `npm run migrate`, as the README says', async () => {
    const name = `vibn_m_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    await database.pool.query(`create database ${name}`);
    const url = new URL(database.url);
    url.pathname = `/${name}`;
    try {
      const run = await execa('npm', ['run', 'migrate'], { cwd: projectRoot, env: { DATABASE_URL: url.toString() }, reject: false, all: true });
      expect(run.exitCode, run.all).toBe(0);
      const journal = JSON.parse(await fs.readFile(path.join(projectRoot, 'db/migrations/meta/_journal.json'), 'utf8'));
      const migrated = new pg.Client({ connectionString: url.toString() });
      await migrated.connect();
      const { rows } = await migrated.query('select count(*)::int as n from drizzle.__drizzle_migrations');
      await migrated.end();
      expect(rows[0].n).toBe(journal.entries.length);
    } finally {
      await database.pool.query(`drop database if exists ${name} with (force)`);
    }
  });
});

describe('session_events', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
  });
  afterAll(() => database?.drop());

  it('gives concurrent writers of one stream contiguous seqs, and other streams their own', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        appendSessionEvent(database.db, { conversationId: i % 2 ? a : b, kind: 'test', payload: { i } }),
      ),
    );
    expect((await listSessionEvents(database.db, a)).map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await listSessionEvents(database.db, b)).map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('writes an event once however often the same idempotency key is retried', async () => {
    const stream = randomUUID();
    const event = { conversationId: stream, kind: 'step', payload: { n: 1 }, idempotencyKey: `${stream}:1` };
    const results = await Promise.all([1, 2, 3].map(() => appendSessionEvent(database.db, event)));
    expect(results.map((r) => r.seq)).toEqual([1, 1, 1]);
    expect(results.filter((r) => r.inserted)).toHaveLength(1);
    expect(await listSessionEvents(database.db, stream)).toHaveLength(1);
  });

  it('lists only what comes after a seq', async () => {
    const stream = randomUUID();
    for (let i = 0; i < 5; i++) await appendSessionEvent(database.db, { conversationId: stream, kind: 'step', payload: { i } });
    expect((await listSessionEvents(database.db, stream, 3)).map((e) => e.seq)).toEqual([4, 5]);
  });
});
