import { useEffect, useMemo, useState } from 'react';
import { createApi, socketUrl } from '../lib/api';
import { ConsoleContext } from '../lib/console-context';
import type { Route } from '../lib/route';
import { StreamClient, type ConnectionState, type SocketLike } from '../lib/stream-client';
import type { Project } from '../lib/types';
import { useInbox } from '../lib/use-inbox';
import { useRoute } from '../lib/use-route';
import { useVisitPing } from '../lib/use-visit';
import { ConversationPage } from './conversation-page';
import { InboxPage } from './inbox-page';
import { MemoryPage } from './memory-page';
import { ProjectPicker } from './project-picker';
import { SandboxNotice } from './sandbox-notice';
import { SettingsPage } from './settings-page';

type Props = { token: string; onSignOut: (why: string | null) => void };

/** The signed-in console: the API client, the page's one live stream, the project and the page shown. */
export function ConsoleShell({ token, onSignOut }: Props) {
  const api = useMemo(() => createApi(token, () => onSignOut('That token was not accepted. Sign in again.')), [token, onSignOut]);
  const [stream, setStream] = useState<StreamClient | null>(null);
  const [connection, setConnection] = useState<ConnectionState>('idle');
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [route, navigate] = useRoute();

  useEffect(() => {
    const client = new StreamClient({
      ticket: api.ticket,
      open: (ticket) => new WebSocket(socketUrl(`/api/stream?ticket=${encodeURIComponent(ticket)}`)) as unknown as SocketLike,
      onState: setConnection,
    });
    setStream(client);
    return () => client.close();
  }, [api]);

  useEffect(() => {
    api.projects().then(setProjects, (err: Error) => setError(err.message));
  }, [api]);

  // The first project unless the address names one.
  useEffect(() => {
    const first = projects?.[0];
    if (route.page === 'home' && first) navigate({ page: 'conversation', projectId: first.id, conversationId: null }, { replace: true });
  }, [projects, route, navigate]);

  const services = useMemo(() => (stream ? { api, stream } : null), [api, stream]);
  const projectId = route.page === 'home' ? null : route.projectId;
  const project = projects?.find((p) => p.id === projectId) ?? null;
  // Held here, not by the Inbox page, so the nav's unread count follows the stream on every page.
  const inbox = useInbox(api, stream, project?.id ?? null);
  useVisitPing(api, project?.id ?? null);
  const go = (page: Route['page']) => projectId && navigate(page === 'conversation' || page === 'home' ? { page: 'conversation', projectId, conversationId: null } : { page, projectId });

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">VIBN</span>
        {projects && projects.length > 1 && (
          <ProjectPicker projects={projects} value={projectId} onChange={(id) => navigate({ page: 'conversation', projectId: id, conversationId: null })} />
        )}
        {projects && projects.length === 1 && <span className="project-name">{projects[0]!.name}</span>}
        {projectId && (
          <nav className="pages">
            <button className={route.page === 'conversation' ? 'active' : ''} onClick={() => go('conversation')} data-testid="nav-assist">Assist</button>
            <button className={route.page === 'inbox' ? 'active' : ''} onClick={() => go('inbox')} data-testid="nav-inbox">
              Inbox
              {inbox.unread > 0 && (
                <span className="badge" data-testid="inbox-badge" title={`${inbox.unread} unread`}>
                  {inbox.unread}
                </span>
              )}
            </button>
            <button className={route.page === 'memory' ? 'active' : ''} onClick={() => go('memory')} data-testid="nav-memory">Memory</button>
            <button className={route.page === 'settings' ? 'active' : ''} onClick={() => go('settings')} data-testid="nav-settings">Settings</button>
          </nav>
        )}
        <span className={`connection ${connection}`} data-testid="connection" data-state={connection} title="The live connection to VIBN">
          {connection === 'live' ? 'Live' : connection === 'connecting' || connection === 'reconnecting' ? 'Connecting…' : ''}
        </span>
        <button className="link" onClick={() => onSignOut(null)}>Sign out</button>
      </header>
      {error && <p className="error banner">{error}</p>}
      <SandboxNotice />
      {services && (
        <ConsoleContext.Provider value={services}>
          {projects && projects.length === 0 && <p className="empty">There is no project yet. Create one through the API (POST /api/projects).</p>}
          {projects && projectId && !project && <p className="empty">There is no project {projectId} for this token.</p>}
          {project && route.page === 'conversation' && (
            <ConversationPage
              project={project}
              conversationId={route.conversationId}
              onOpen={(conversationId) => navigate({ page: 'conversation', projectId: project.id, conversationId })}
            />
          )}
          {project && route.page === 'inbox' && (
            <InboxPage
              projectId={project.id}
              inbox={inbox}
              onOpenConversation={(conversationId) => navigate({ page: 'conversation', projectId: project.id, conversationId })}
            />
          )}
          {project && route.page === 'memory' && <MemoryPage projectId={project.id} />}
          {project && route.page === 'settings' && (
            <SettingsPage project={project} onSaved={(p) => setProjects((all) => all?.map((x) => (x.id === p.id ? p : x)) ?? null)} />
          )}
        </ConsoleContext.Provider>
      )}
    </div>
  );
}
