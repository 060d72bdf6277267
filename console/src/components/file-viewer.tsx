import type { FileContent } from '../lib/types';

/** One file's text, read-only. */
export function FileViewer({ file }: { file: FileContent }) {
  return (
    <div className="file-viewer" data-testid="file-viewer" data-path={file.path}>
      <header>
        <code>{file.path}</code>
        <span className="hint">{file.size.toLocaleString()} bytes{file.truncated ? ', showing the start' : ''}</span>
      </header>
      <pre data-testid="file-content">{file.content}</pre>
    </div>
  );
}
