import { useCallback, useEffect, useRef, useState } from 'react';
import type { Api } from './api';
import { EventLog } from './event-log';
import type { StreamClient } from './stream-client';
import type { Finding, Notification, StreamEvent } from './types';

/** How long a burst of new notifications or findings is gathered into one refetch. */
const REFETCH_DELAY_MS = 150;

/** One of Assist's messages in the monitoring conversation: a finding raised, or a morning briefing. */
export type InboxMessage = {
  seq: number;
  text: string;
  /** 'finding' or 'briefing' (the reply kinds activities/monitor.ts and activities/briefing.ts write). */
  replyKind: string;
  findingId: string | null;
  /** Written from the data by a template, not by a model (payload.generatedBy === 'template'). */
  automatic: boolean;
  /** A scripted scenario stood in for a model: only when no template wrote it. */
  scripted: boolean;
  at: string;
};

export type InboxState = {
  /** The project's monitoring conversation, once known; its stream carries the messages and the notifications. */
  conversationId: string | null;
  /** Newest first. */
  messages: InboxMessage[];
  findings: Map<string, Finding>;
  /** Newest first. */
  notifications: Notification[];
  unread: number;
  error: string | null;
  refreshFindings: () => void;
  refreshNotifications: () => void;
};

function toMessage(e: StreamEvent): InboxMessage | null {
  if (e.kind !== 'assistant.message' || typeof e.payload.text !== 'string') return null;
  const automatic = e.payload.generatedBy === 'template';
  return {
    seq: e.seq,
    text: e.payload.text,
    replyKind: typeof e.payload.replyKind === 'string' ? e.payload.replyKind : '',
    findingId: typeof e.payload.findingId === 'string' ? e.payload.findingId : null,
    automatic,
    scripted: !automatic && (e.scripted === true || e.payload.scripted === true),
    at: e.at,
  };
}

/**
 * What Assist says first, for one project, live: the monitoring conversation's messages from the stream (replayed
 * from seq 0, then tailed), the findings and the notifications from the API, fetched again when the stream
 * brings a finding or a notification not held yet. Held by the shell, so the nav's unread count is live on every
 * page and the stream has a single listener for this conversation.
 */
export function useInbox(api: Api, stream: StreamClient | null, projectId: string | null): InboxState {
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [messages, setMessages] = useState<InboxMessage[]>([]);
  const [findings, setFindings] = useState<Map<string, Finding>>(new Map());
  const [notifications, setNotifications] = useState<Notification[]>([]);
  const [unread, setUnread] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const refetch = useRef({ findings: () => undefined as void, notifications: () => undefined as void });

  useEffect(() => {
    setConversationId(null);
    setMessages([]);
    setFindings(new Map());
    setNotifications([]);
    setUnread(0);
    setError(null);
    if (!projectId || !stream) return;
    let live = true;
    const knownFindings = new Set<string>();
    const knownNotifications = new Set<string>();
    const timers: { findings?: ReturnType<typeof setTimeout>; notifications?: ReturnType<typeof setTimeout> } = {};
    const fail = (err: Error) => live && setError(err.message);

    const loadFindings = () =>
      api.findings(projectId).then((r) => {
        if (!live) return r;
        for (const f of r.findings) knownFindings.add(f.id);
        setFindings(new Map(r.findings.map((f) => [f.id, f])));
        return r;
      });
    const loadNotifications = () =>
      Promise.all([api.notifications(projectId), api.notifications(projectId, { unread: true, limit: 200 })]).then(([all, unreadOnes]) => {
        if (!live) return all;
        for (const n of all.notifications) knownNotifications.add(n.id);
        for (const n of unreadOnes.notifications) knownNotifications.add(n.id);
        setNotifications(all.notifications);
        setUnread(unreadOnes.notifications.length);
        return all;
      });
    const later = (which: 'findings' | 'notifications', load: () => Promise<unknown>) => {
      timers[which] ??= setTimeout(() => {
        timers[which] = undefined;
        if (live) load().catch(fail);
      }, REFETCH_DELAY_MS);
    };
    refetch.current = { findings: () => later('findings', loadFindings), notifications: () => later('notifications', loadNotifications) };

    const log = new EventLog();
    let bump: ReturnType<typeof setTimeout> | undefined;
    let unsubscribe = () => undefined as void;
    // Both lists first, so the replay that follows finds them held and only what is newer fetches again.
    Promise.all([loadFindings(), loadNotifications()]).then(([f]) => {
      if (!live) return;
      setConversationId(f.monitoringConversationId);
      unsubscribe = stream.subscribe(f.monitoringConversationId, 0, (event) => {
        if (!log.add(event)) return;
        if (event.kind === 'notification' && !knownNotifications.has(String(event.payload.notificationId))) later('notifications', loadNotifications);
        if (event.kind === 'assistant.message' && typeof event.payload.findingId === 'string' && !knownFindings.has(event.payload.findingId)) {
          later('findings', loadFindings);
        }
        // A replay brings every message at once: render them together.
        bump ??= setTimeout(() => {
          bump = undefined;
          if (!live) return;
          setMessages(log.list().map(toMessage).filter((m): m is InboxMessage => m !== null).reverse());
        }, 16);
      });
    }, fail);

    return () => {
      live = false;
      unsubscribe();
      clearTimeout(bump);
      clearTimeout(timers.findings);
      clearTimeout(timers.notifications);
    };
  }, [api, stream, projectId]);

  const refreshFindings = useCallback(() => refetch.current.findings(), []);
  const refreshNotifications = useCallback(() => refetch.current.notifications(), []);
  return { conversationId, messages, findings, notifications, unread, error, refreshFindings, refreshNotifications };
}
