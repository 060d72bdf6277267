/**
 * The console's pages as URL paths, so a reload (or a reopened tab) lands where the founder was:
 *   /projects/:projectId                                  the project, ready for a new request
 *   /projects/:projectId/conversations/:conversationId    one conversation, its log and live tail
 *   /projects/:projectId/inbox                            what Assist said first: findings, briefings, notifications
 *   /projects/:projectId/memory | /settings               what Assist remembers; the project's settings
 */
export type Route =
  | { page: 'home' }
  | { page: 'conversation'; projectId: string; conversationId: string | null }
  | { page: 'inbox'; projectId: string }
  | { page: 'memory'; projectId: string }
  | { page: 'settings'; projectId: string };

const segment = '([^/]+)';

export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '');
  let m = new RegExp(`^/projects/${segment}/conversations/${segment}$`).exec(path);
  if (m) return { page: 'conversation', projectId: decodeURIComponent(m[1]!), conversationId: decodeURIComponent(m[2]!) };
  m = new RegExp(`^/projects/${segment}/(inbox|memory|settings)$`).exec(path);
  if (m) return { page: m[2] as 'inbox' | 'memory' | 'settings', projectId: decodeURIComponent(m[1]!) };
  m = new RegExp(`^/projects/${segment}$`).exec(path);
  if (m) return { page: 'conversation', projectId: decodeURIComponent(m[1]!), conversationId: null };
  return { page: 'home' };
}

export function routePath(route: Route): string {
  switch (route.page) {
    case 'home':
      return '/';
    case 'conversation':
      return route.conversationId
        ? `/projects/${encodeURIComponent(route.projectId)}/conversations/${encodeURIComponent(route.conversationId)}`
        : `/projects/${encodeURIComponent(route.projectId)}`;
    default:
      return `/projects/${encodeURIComponent(route.projectId)}/${route.page}`;
  }
}
