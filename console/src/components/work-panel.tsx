import { lazy, Suspense, useState } from 'react';
import { MODULE_NAMES } from '../lib/describe';
import type { ConversationState } from '../lib/use-conversation';
import { BrowseTab } from './browse-tab';
import { DeliveryStatus } from './delivery-status';
import { ModuleWork } from './module-work';

// xterm is most of the bundle: loaded when the terminal is first opened.
const TerminalTab = lazy(() => import('./terminal-tab').then((m) => ({ default: m.TerminalTab })));

type Tab = 'code' | 'growth' | 'analytics' | 'browse' | 'terminal';

const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'code', label: MODULE_NAMES.code! },
  { id: 'growth', label: MODULE_NAMES.growth! },
  { id: 'analytics', label: MODULE_NAMES.analytics! },
  { id: 'browse', label: 'Browse' },
  { id: 'terminal', label: 'Terminal' },
];

type Props = { projectId: string; conversation: ConversationState | null };

/** The work behind the conversation, by module, plus the project's files and a terminal. Status only, no chat. */
export function WorkPanel({ projectId, conversation }: Props) {
  const [tab, setTab] = useState<Tab>('code');
  const [browseSession, setBrowseSession] = useState<string | null>(null);
  // The terminal keeps its session while other tabs are shown, once opened.
  const [terminalOpened, setTerminalOpened] = useState(false);
  const view = conversation?.view ?? null;
  const events = conversation?.events ?? [];

  const open = (next: Tab) => {
    if (next === 'terminal') setTerminalOpened(true);
    setTab(next);
  };

  return (
    <section className="work" data-testid="work">
      {view && <DeliveryStatus view={view} events={events} />}
      <nav className="tabs" role="tablist">
        {TABS.map((t) => {
          const count = view?.tasks.filter((task) => task.module === t.id).length ?? 0;
          return (
            <button key={t.id} role="tab" aria-selected={tab === t.id} className={tab === t.id ? 'active' : ''} onClick={() => open(t.id)} data-testid={`tab-${t.id}`}>
              {t.label}
              {count > 0 && <span className="count">{count}</span>}
            </button>
          );
        })}
      </nav>
      <div className="tab-body">
        {(tab === 'code' || tab === 'growth' || tab === 'analytics') && (
          <ModuleWork
            module={tab}
            view={view}
            events={events}
            onBrowse={(sessionId) => {
              setBrowseSession(sessionId);
              setTab('browse');
            }}
          />
        )}
        {tab === 'browse' && <BrowseTab projectId={projectId} tasks={view?.tasks ?? []} session={browseSession} onSession={setBrowseSession} />}
        {terminalOpened && (
          <Suspense fallback={<p className="hint">Opening the terminal…</p>}>
            <TerminalTab projectId={projectId} visible={tab === 'terminal'} />
          </Suspense>
        )}
      </div>
    </section>
  );
}
