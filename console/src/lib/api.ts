/**
 * The typed API client: every call is same-origin, sends the bearer token, and turns the API's one error
 * shape `{error:{code, message, field?}}` into an `ApiError`. A 401 also tells the app to sign in again.
 */
import type {
  ConversationSummary,
  ConversationView,
  FileContent,
  Finding,
  Memory,
  MemoryCategory,
  Notification,
  Project,
  ProjectPatch,
  ProjectSecretName,
  TreeFile,
  UsageRow,
} from './types';

/** A refusal from the API, with its stable code and, for bad input, the field it is about. */
/**
 * A fresh key for one founder action. crypto.randomUUID exists only in secure contexts (https, localhost); a
 * console served over plain http on a LAN address still has getRandomValues.
 */
function actionKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A path's segments URL-encoded one by one, so `src/a b.js` stays a path. */
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export type SignalAction = 'message' | 'confirm' | 'decline' | 'revise' | 'stop' | 'budget';

export function createApi(token: string, onUnauthorized: () => void) {
  async function call<T>(method: string, url: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...extraHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      if (res.status === 401) onUnauthorized();
      const err = (json as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
      throw new ApiError(res.status, err?.code ?? 'http_error', err?.message ?? `The server answered ${res.status}`, err?.field);
    }
    return json as T;
  }

  return {
    projects: () => call<{ projects: Project[] }>('GET', '/api/projects').then((r) => r.projects),
    updateProject: (projectId: string, patch: ProjectPatch) => call<Project>('PATCH', `/api/projects/${projectId}`, patch),
    putSecret: (projectId: string, name: ProjectSecretName, value: string) => call<void>('PUT', `/api/projects/${projectId}/secrets/${name}`, { value }),
    usage: (projectId: string, days = 30) =>
      call<{ days: number; usage: UsageRow[]; totalUsd: number }>('GET', `/api/projects/${projectId}/usage?days=${days}`),

    startRequest: (projectId: string, text: string) =>
      call<{ conversationId: string; workflowId: string }>('POST', `/api/projects/${projectId}/requests`, { text }),
    conversations: (projectId: string, limit = 20) =>
      call<{ conversations: ConversationSummary[] }>('GET', `/api/projects/${projectId}/conversations?limit=${limit}`).then((r) => r.conversations),
    conversation: (id: string) => call<ConversationView>('GET', `/api/conversations/${id}`),
    /**
     * One founder action (message, confirm, decline, revise, stop, budget): 202 when the request took it, an
     * ApiError with the request's reason when it would not. Sent once more with the same Idempotency-Key when
     * the server could not reach the request, so a click is one action however often it is sent.
     */
    signal: async (id: string, action: SignalAction, body: object = {}) => {
      const key = { 'idempotency-key': actionKey() };
      const send = () => call<{ accepted: true }>('POST', `/api/conversations/${id}/${action}`, body, key);
      try {
        return await send();
      } catch (err) {
        if (err instanceof ApiError && err.status === 503) return send();
        throw err;
      }
    },

    memories: (projectId: string) => call<{ memories: Memory[] }>('GET', `/api/projects/${projectId}/memory`).then((r) => r.memories),
    updateMemory: (projectId: string, memoryId: string, patch: { value?: string; category?: MemoryCategory; key?: string }) =>
      call<Memory>('PATCH', `/api/projects/${projectId}/memory/${memoryId}`, patch),
    deleteMemory: (projectId: string, memoryId: string) => call<void>('DELETE', `/api/projects/${projectId}/memory/${memoryId}`),

    tree: (projectId: string) =>
      call<{ branch: string; commit: string; files: TreeFile[]; truncated: boolean }>('GET', `/api/projects/${projectId}/tree`),
    treeFile: (projectId: string, path: string) => call<FileContent>('GET', `/api/projects/${projectId}/tree/${encodePath(path)}`),
    sessionFiles: (sessionId: string) => call<{ files: TreeFile[]; truncated: boolean }>('GET', `/api/sessions/${sessionId}/files`),
    sessionFile: (sessionId: string, path: string) => call<FileContent>('GET', `/api/sessions/${sessionId}/files/${encodePath(path)}`),

    /** The monitor's findings, newest first, and the monitoring conversation they are raised in. */
    findings: (projectId: string, limit = 200) =>
      call<{ monitoringConversationId: string; findings: Finding[] }>('GET', `/api/projects/${projectId}/findings?limit=${limit}`),
    /** The founder's yes: starts a request to fix the finding (the same one again on a second click). */
    actOnFinding: (projectId: string, findingId: string) =>
      call<{ conversationId: string; workflowId: string; finding: Finding }>('POST', `/api/projects/${projectId}/findings/${findingId}/act`),
    dismissFinding: (projectId: string, findingId: string) =>
      call<{ finding: Finding }>('POST', `/api/projects/${projectId}/findings/${findingId}/dismiss`).then((r) => r.finding),
    /** The feed, newest first, and the conversation whose stream carries new notifications live. */
    notifications: (projectId: string, opts: { unread?: boolean; limit?: number } = {}) =>
      call<{ streamConversationId: string; notifications: Notification[] }>(
        'GET',
        `/api/projects/${projectId}/notifications?limit=${opts.limit ?? 50}${opts.unread ? '&unread=1' : ''}`,
      ),
    markNotificationsRead: (projectId: string, which: { ids: string[] } | { all: true }) =>
      call<{ marked: number }>('POST', `/api/projects/${projectId}/notifications/read`, which).then((r) => r.marked),
    /** The founder looked: the next morning briefing covers what happens from now. */
    recordVisit: (projectId: string) => call<void>('POST', `/api/projects/${projectId}/visits`),

    /** A short-lived ticket for `?ticket=` on a WebSocket, which cannot carry the Authorization header. */
    ticket: () => call<{ ticket: string; expiresAt: string }>('POST', '/api/stream/tickets').then((r) => r.ticket),
  };
}

export type Api = ReturnType<typeof createApi>;

/** A ws(s):// URL on this page's host. */
export function socketUrl(path: string): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${path}`;
}
