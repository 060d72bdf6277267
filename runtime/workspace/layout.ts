import path from 'node:path';

/**
 * Where a project's workspace lives under the state folder: one persistent clone (`repo`), one worktree per
 * request (its integration branch), one per task (its own branch), and caches that outlive cold starts.
 */
export function workspaceLayout(home: string, projectId: string) {
  const root = path.join(home, 'workspaces', projectId);
  return {
    root,
    repo: path.join(root, 'repo'),
    cache: path.join(root, 'cache'),
    requestDir: (conversationId: string) => path.join(root, 'requests', conversationId),
    taskDir: (sessionId: string) => path.join(root, 'tasks', sessionId),
  };
}
export type WorkspaceLayout = ReturnType<typeof workspaceLayout>;

/** The request's integration branch and each task's branch (separate prefixes: git cannot nest a ref under a ref). */
export const requestBranch = (conversationId: string) => `vibn/request/${conversationId}`;
export const taskBranch = (conversationId: string, taskId: string) => `vibn/task/${conversationId}/${taskId}`;
