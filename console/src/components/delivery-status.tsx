import { shortCommit, usd } from '../lib/describe';
import type { ConversationView, StreamEvent } from '../lib/types';

type Props = { view: ConversationView; events: StreamEvent[] };

/** The request's way out: the commit, the push, the deploy, and what it cost. */
export function DeliveryStatus({ view, events }: Props) {
  const requestLevel = events.filter((e) => !e.sessionId);
  const last = (kind: string) => requestLevel.findLast((e) => e.kind === kind)?.payload;
  const commit = last('commit');
  const push = last('push');
  const deploy = last('deploy');
  if (view.tasks.length === 0 && !commit && !deploy) return null;

  const deployStatus = typeof deploy?.status === 'string' ? deploy.status : null;
  const url = typeof deploy?.url === 'string' ? deploy.url : null;

  return (
    <div className="delivery" data-testid="delivery">
      <span className="step" data-testid="commit" data-commit={typeof commit?.commit === 'string' ? commit.commit : ''}>
        {commit ? (commit.empty ? 'No changes to save' : <>Saved as <code>{shortCommit(commit.commit)}</code></>) : 'Not saved yet'}
      </span>
      <span className="step" data-testid="push">{push ? <>Published to <code>{String(push.branch)}</code></> : 'Not published yet'}</span>
      <span className={`step deploy ${deployStatus ?? 'waiting'}`} data-testid="deploy" data-status={deployStatus ?? ''}>
        {deployStatus === 'succeeded' && (url ? <>Live at <a href={url} target="_blank" rel="noreferrer">{url}</a></> : 'Live')}
        {deployStatus === 'failed' && 'Deploy failed'}
        {deployStatus === 'skipped' && 'No deploy set up'}
        {!deployStatus && 'Not deployed yet'}
      </span>
      <span className="step cost">{usd(view.costUsd)} spent</span>
    </div>
  );
}
