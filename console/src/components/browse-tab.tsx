import { useEffect, useState } from 'react';
import { ApiError } from '../lib/api';
import { useConsole } from '../lib/console-context';
import type { FileContent, TaskView, TreeFile } from '../lib/types';
import { FileViewer } from './file-viewer';

type Props = { projectId: string; tasks: TaskView[]; session: string | null; onSession: (sessionId: string | null) => void };

type Listing = { files: TreeFile[]; truncated: boolean; caption: string };

const explain = (err: unknown) => {
  if (err instanceof ApiError && err.code === 'no_workspace') return "Nothing to show yet: the project's files appear here after its first request.";
  if (err instanceof ApiError && err.code === 'worktree_gone') return 'That task has finished: its work is now part of the latest commit.';
  return (err as Error).message;
};

/** The files of the project's latest commit, or of a running task's work in progress. */
export function BrowseTab({ projectId, tasks, session, onSession }: Props) {
  const { api } = useConsole();
  const [listing, setListing] = useState<Listing | null>(null);
  const [file, setFile] = useState<FileContent | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = tasks.filter((t) => t.status === 'running' || t.sessionId === session);

  useEffect(() => {
    let live = true;
    setListing(null);
    setFile(null);
    setError(null);
    const load = session
      ? api.sessionFiles(session).then((r) => ({ ...r, caption: 'Work in progress' }))
      : api.tree(projectId).then((r) => ({ files: r.files, truncated: r.truncated, caption: `${r.branch} at ${r.commit.slice(0, 7)}` }));
    load.then(
      (l) => live && setListing(l),
      (err) => live && setError(explain(err)),
    );
    return () => {
      live = false;
    };
  }, [api, projectId, session]);

  const openFile = (path: string) => {
    setError(null);
    (session ? api.sessionFile(session, path) : api.treeFile(projectId, path)).then(setFile, (err) => setError(explain(err)));
  };

  return (
    <div className="browse" data-testid="browse">
      <label className="source">
        Showing
        <select value={session ?? ''} onChange={(e) => onSession(e.target.value || null)} data-testid="browse-source">
          <option value="">Latest commit</option>
          {running.map((t) => (
            <option key={t.sessionId} value={t.sessionId}>
              In progress: {t.title || t.id}
            </option>
          ))}
        </select>
        {listing && <span className="hint">{listing.caption}</span>}
      </label>
      {error && <p className="error" data-testid="browse-error">{error}</p>}
      <div className="browse-body">
        <ul className="file-list" data-testid="browse-files">
          {listing?.files.map((f) => (
            <li key={f.path}>
              <button className={file?.path === f.path ? 'active' : ''} onClick={() => openFile(f.path)} data-path={f.path}>
                {f.path}
              </button>
            </li>
          ))}
          {listing?.truncated && <li className="hint">More files than can be listed.</li>}
        </ul>
        {file && <FileViewer file={file} />}
      </div>
    </div>
  );
}
