import { useCallback, useEffect, useRef, useState } from 'react';
import { useConsole } from './console-context';
import { EventLog } from './event-log';
import type { ConversationView, StreamEvent } from './types';

/** Events after which the conversation's view (phase, plan, tasks, messages) has changed. */
const VIEW_CHANGING = new Set(['phase', 'plan.card', 'task.status', 'assistant.message', 'founder.message', 'deploy', 'budget.paused', 'budget.raised', 'request.stopped']);

/** How long a burst of view-changing events is gathered into one refresh. */
const REFRESH_DELAY_MS = 150;

export type ConversationState = {
  view: ConversationView | null;
  /** The step log, in seq order, each seq once. */
  events: StreamEvent[];
  error: string | null;
  refresh: () => void;
};

/**
 * One conversation, live: its view from GET /api/conversations/:id, and its whole step log from the stream
 * (subscribed after seq 0: the server replays everything, then tails). The view is fetched again, a little
 * later, whenever an event says it changed.
 */
export function useConversation(conversationId: string | null): ConversationState {
  const { api, stream } = useConsole();
  const [view, setView] = useState<ConversationView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, setVersion] = useState(0);
  const log = useRef(new EventLog());
  const refreshRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    log.current = new EventLog();
    setView(null);
    setError(null);
    setVersion((v) => v + 1);
    if (!conversationId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let bump: ReturnType<typeof setTimeout> | undefined;
    const current = log.current;

    const refresh = () => {
      api.conversation(conversationId).then(
        (v) => {
          if (!live) return;
          setView(v);
          setError(null);
        },
        (err: Error) => {
          if (live) setError(err.message);
        },
      );
    };
    refreshRef.current = refresh;
    refresh();

    const unsubscribe = stream.subscribe(conversationId, 0, (event) => {
      if (!current.add(event)) return;
      // A replay brings hundreds of events at once: render them together.
      bump ??= setTimeout(() => {
        bump = undefined;
        if (live) setVersion((v) => v + 1);
      }, 16);
      // Not reset by later events, so a steady stream still refreshes the view every REFRESH_DELAY_MS.
      if (VIEW_CHANGING.has(event.kind)) {
        timer ??= setTimeout(() => {
          timer = undefined;
          if (live) refresh();
        }, REFRESH_DELAY_MS);
      }
    });
    return () => {
      live = false;
      unsubscribe();
      clearTimeout(timer);
      clearTimeout(bump);
    };
  }, [api, stream, conversationId]);

  const refresh = useCallback(() => refreshRef.current(), []);
  return { view, events: log.current.list(), error, refresh };
}
