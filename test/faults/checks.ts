/**
 * What "nothing lost, nothing doubled" means after a request that lived through a fault: the same outcome as
 * an undisturbed run. Each check returns the problems it found, in words for the report.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { runGit } from '../../runtime/git/run-git.js';
import { workspaceLayout } from '../../runtime/workspace/layout.js';
import { processesIn, waitUntilGone } from './processes.js';
import { repeatedSteps, type Snapshot } from './progress.js';

export type Expectation = {
  /** Commits on the remote's main before the request. */
  commitsBefore: number;
  /** How the one deploy must end: the demo's deploy succeeds, unless the case makes it time out. */
  deploy: 'succeeded' | 'timed_out';
};

export async function mainCommits(bareDir: string): Promise<string[]> {
  const { stdout } = await runGit(bareDir, ['log', '--format=%H', 'main']);
  return stdout.split('\n').filter(Boolean);
}

export type CheckInput = {
  sql: pg.Pool;
  home: string;
  projectId: string;
  conversationId: string;
  bareDir: string;
  final: Snapshot;
  streamSeqs: number[];
  /** Processes the stack keeps running on purpose. */
  livePids: number[];
  /** Descendants a killed worker had when it died: none may outlive the request. */
  orphansOfKilled: number[];
  expect: Expectation;
};

export async function checkOutcome(c: CheckInput): Promise<string[]> {
  const problems: string[] = [];
  const { final } = c;
  if (final.status !== 'completed' || final.outcome !== 'tasked') problems.push(`ended ${final.status}/${final.outcome ?? '-'}${final.error ? `: ${final.error}` : ''}`);

  // One commit series: exactly one new commit on main, carrying the request's trailer.
  const commits = await mainCommits(c.bareDir);
  const added = commits.length - c.expect.commitsBefore;
  if (added !== 1) problems.push(`${added} new commits on the remote's main (want 1)`);
  else {
    const { stdout } = await runGit(c.bareDir, ['log', '-1', '--format=%B', 'main']);
    if (!stdout.includes(`VIBN-Request: ${c.conversationId}`)) problems.push('the new commit lacks the request trailer');
  }
  const head = commits[0];

  // One deploy: one row, and (for a deploy that ran) one line in the demo site's log for this commit.
  const rows = await c.sql.query('select status, log_tail as "logTail" from deploys where conversation_id = $1', [c.conversationId]);
  if (rows.rowCount !== 1) problems.push(`${rows.rowCount} deploy rows (want 1)`);
  const row = rows.rows[0] as { status: string; logTail: string } | undefined;
  const logLines = (await fs.readFile(path.join(c.home, 'sites', 'demo', 'deploys.log'), 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => head && l.split(' ')[1] === head).length;
  if (c.expect.deploy === 'succeeded') {
    if (row && row.status !== 'succeeded') problems.push(`the deploy ${row.status}: ${row.logTail.slice(-200)}`);
    if (logLines !== 1) problems.push(`${logLines} deploy log lines for the commit (want 1)`);
  } else {
    if (row && !(row.status === 'failed' && /timed out/.test(row.logTail))) problems.push(`the deploy ${row.status}, not recorded as timed out`);
    if (logLines !== 0) problems.push(`${logLines} deploy log lines for a deploy that timed out (want 0)`);
  }
  const deployEvents = final.events.filter((e) => e.kind === 'deploy');
  if (deployEvents.length !== 1) problems.push(`${deployEvents.length} deploy events (want 1)`);

  const followUps = final.events.filter((e) => e.kind === 'assistant.message' && e.payload.replyKind === 'follow_up');
  if (followUps.length !== 1) problems.push(`${followUps.length} follow-up messages (want 1)`);

  // The step log: seq 1..n, and no step written twice.
  const seqs = final.events.map((e) => e.seq);
  if (!seqs.every((s, i) => s === i + 1)) problems.push(`session_events seq not contiguous from 1: ${seqs.join(',').slice(0, 200)}`);
  for (const r of repeatedSteps(final.events)) problems.push(`repeated step: ${r}`);

  // The live stream, across reconnects: every seq exactly once.
  const streamed = [...c.streamSeqs].sort((a, b) => a - b);
  if (streamed.length !== seqs.length || !streamed.every((s, i) => s === i + 1)) {
    const dupes = c.streamSeqs.filter((s, i) => c.streamSeqs.indexOf(s) !== i);
    const missing = seqs.filter((s) => !c.streamSeqs.includes(s));
    problems.push(`stream received ${streamed.length}/${seqs.length} events (duplicates: ${dupes.slice(0, 10).join(',') || 'none'}; missing: ${missing.slice(0, 10).join(',') || 'none'})`);
  }

  // Nothing left behind: no process in the project's workspace, none a killed worker started.
  await waitUntilGone(c.orphansOfKilled, 10_000).catch((err: Error) => problems.push(`a killed worker's child survived: ${err.message}`));
  const layout = workspaceLayout(c.home, c.projectId);
  // A deploy command runs in the request's worktree, so this covers it too.
  const leftovers = await processesIn([layout.root], c.livePids);
  if (leftovers.length) problems.push(`orphan processes: ${leftovers.join(' | ')}`);
  for (const dir of [path.join(layout.root, 'requests'), path.join(layout.root, 'tasks')]) {
    const entries = await fs.readdir(dir).catch(() => []);
    if (entries.length) problems.push(`leftover worktrees in ${path.basename(dir)}/: ${entries.join(', ')}`);
  }
  return problems;
}
