import { useState, type FormEvent } from 'react';
import { useConsole } from '../lib/console-context';
import { PROJECT_SECRET_NAMES, type ProjectSecretName } from '../lib/types';

const SECRET_NAMES: Record<ProjectSecretName, string> = {
  git_token: 'Git access token',
  git_ssh_key: 'Git deploy key (SSH private key)',
  git_known_hosts: "Git server's known_hosts line",
  coolify_token: 'Coolify API token',
  deploy_webhook_secret: 'Deploy webhook signing secret',
  gitea_webhook_secret: 'Gitea webhook secret',
};

/** Sets one of the project's secrets. Write-only: a stored secret is never shown again. */
export function SecretsForm({ projectId }: { projectId: string }) {
  const { api } = useConsole();
  const [name, setName] = useState<ProjectSecretName>('git_token');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!value) return;
    setBusy(true);
    setMessage(null);
    try {
      await api.putSecret(projectId, name, value);
      setValue('');
      setMessage({ ok: true, text: `${SECRET_NAMES[name]} saved.` });
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card secrets" onSubmit={save} data-testid="secrets-form">
      <h3>Secrets</h3>
      <p className="hint">Never shown again once saved; saving one replaces its old value.</p>
      <label>
        <span className="label">Which</span>
        <select value={name} onChange={(e) => setName(e.target.value as ProjectSecretName)} data-testid="secret-name">
          {PROJECT_SECRET_NAMES.map((n) => (
            <option key={n} value={n}>
              {SECRET_NAMES[n]}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="label">Value</span>
        {name === 'git_ssh_key' || name === 'git_known_hosts' ? (
          <textarea value={value} onChange={(e) => setValue(e.target.value)} rows={4} autoComplete="off" data-testid="secret-value" />
        ) : (
          <input type="password" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="new-password" data-testid="secret-value" />
        )}
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !value} data-testid="secret-save">Save secret</button>
        {message && <span className={message.ok ? 'ok' : 'error'}>{message.text}</span>}
      </div>
    </form>
  );
}
