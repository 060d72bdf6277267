import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../lib/api';
import { useConsole } from '../lib/console-context';
import type { DeploySettings, Project, ProjectPatch } from '../lib/types';
import { DeployFields } from './deploy-fields';
import { SecretsForm } from './secrets-form';
import { UsagePanel } from './usage-panel';

/** The founder's words for each setting, used to name the field an error is about. */
const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  repoUrl: 'Repository URL',
  defaultBranch: 'Default branch',
  deploy: 'Deploys',
  timezone: 'Time zone',
  briefingTime: 'Briefing time',
  monthlyBudgetUsd: 'Monthly budget',
  allowNetwork: 'Network access',
};

type Form = {
  repoUrl: string;
  defaultBranch: string;
  deploy: DeploySettings;
  timezone: string;
  briefingTime: string;
  monthlyBudgetUsd: string;
  allowNetwork: boolean;
};

const formOf = (p: Project): Form => ({
  repoUrl: p.repoUrl,
  defaultBranch: p.defaultBranch,
  deploy: p.deploy ?? { kind: 'none' },
  timezone: p.timezone,
  briefingTime: p.briefingTime ?? '08:00',
  monthlyBudgetUsd: p.monthlyBudgetUsd === null || p.monthlyBudgetUsd === undefined ? '' : String(p.monthlyBudgetUsd),
  allowNetwork: p.allowNetwork,
});

/** Only what the founder changed, so an untouched setting is never re-validated or overwritten. */
function patchOf(form: Form, before: Form): ProjectPatch {
  const patch: ProjectPatch = {};
  if (form.repoUrl !== before.repoUrl) patch.repoUrl = form.repoUrl.trim();
  if (form.defaultBranch !== before.defaultBranch) patch.defaultBranch = form.defaultBranch.trim();
  if (JSON.stringify(form.deploy) !== JSON.stringify(before.deploy)) patch.deploy = form.deploy;
  if (form.timezone !== before.timezone) patch.timezone = form.timezone.trim();
  if (form.briefingTime !== before.briefingTime) patch.briefingTime = form.briefingTime;
  if (form.monthlyBudgetUsd !== before.monthlyBudgetUsd) patch.monthlyBudgetUsd = form.monthlyBudgetUsd.trim() === '' ? null : Number(form.monthlyBudgetUsd);
  if (form.allowNetwork !== before.allowNetwork) patch.allowNetwork = form.allowNetwork;
  return patch;
}

/** The project's settings (repository, deploys, time zone, briefing time, budget, network), its secrets and spending. */
export function SettingsPage({ project, onSaved }: { project: Project; onSaved: (p: Project) => void }) {
  const { api } = useConsole();
  const [form, setForm] = useState(() => formOf(project));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: string | null; message: string } | null>(null);
  const [saved, setSaved] = useState(false);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => {
    setSaved(false);
    setForm((f) => ({ ...f, [key]: value }));
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const patch = patchOf(form, formOf(project));
    if (Object.keys(patch).length === 0) return setSaved(true);
    setBusy(true);
    setError(null);
    try {
      const updated = await api.updateProject(project.id, patch);
      onSaved(updated);
      setForm(formOf(updated));
      setSaved(true);
    } catch (err) {
      const field = err instanceof ApiError ? (err.field?.split('.')[0] ?? null) : null;
      const label = field ? FIELD_LABELS[field] : undefined;
      // The API's message starts with the field's path; the founder reads the setting's own name instead.
      const message = (err as Error).message.replace(/^[\w.]+: /, '');
      setError({ field, message: label ? `${label}: ${message}` : message });
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (field: string) =>
    error?.field === field ? (
      <span className="error" data-testid={`error-${field}`}>
        {error.message}
      </span>
    ) : null;
  const row = (field: string, control: ReactNode, hint?: string) => (
    <label className={error?.field === field ? 'invalid' : ''}>
      <span className="label">{FIELD_LABELS[field]}</span>
      {control}
      {hint && <span className="hint">{hint}</span>}
      {fieldError(field)}
    </label>
  );

  return (
    <main className="page settings-page" data-testid="settings-page">
      <h2>Settings for {project.name}</h2>
      <form className="card settings" onSubmit={save}>
        {row('repoUrl', <input value={form.repoUrl} onChange={(e) => set('repoUrl', e.target.value)} data-testid="setting-repoUrl" />)}
        {row('defaultBranch', <input value={form.defaultBranch} onChange={(e) => set('defaultBranch', e.target.value)} data-testid="setting-defaultBranch" />)}
        <fieldset className={error?.field === 'deploy' ? 'invalid' : ''}>
          <legend>{FIELD_LABELS.deploy}</legend>
          <DeployFields value={form.deploy} onChange={(d) => set('deploy', d)} />
          {fieldError('deploy')}
        </fieldset>
        {row('timezone', <input value={form.timezone} onChange={(e) => set('timezone', e.target.value)} placeholder="Europe/Paris" data-testid="setting-timezone" />)}
        {row('briefingTime', <input type="time" value={form.briefingTime} onChange={(e) => set('briefingTime', e.target.value)} data-testid="setting-briefingTime" />, 'When your daily briefing arrives, in your time zone')}
        {row(
          'monthlyBudgetUsd',
          <input type="number" min="0" step="1" value={form.monthlyBudgetUsd} onChange={(e) => set('monthlyBudgetUsd', e.target.value)} placeholder="default" data-testid="setting-monthlyBudgetUsd" />,
          'USD a month for AI work; leave empty for the default',
        )}
        <label className={`checkbox ${error?.field === 'allowNetwork' ? 'invalid' : ''}`}>
          <input type="checkbox" checked={form.allowNetwork} onChange={(e) => set('allowNetwork', e.target.checked)} data-testid="setting-allowNetwork" />
          <span>Let the work use the internet (to install packages). Only for projects you trust.</span>
          {fieldError('allowNetwork')}
        </label>
        {error && !error.field && <p className="error" data-testid="settings-error">{error.message}</p>}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy} data-testid="settings-save">{busy ? 'Saving…' : 'Save'}</button>
          {saved && <span className="ok" data-testid="settings-saved">Saved</span>}
        </div>
      </form>
      <SecretsForm projectId={project.id} />
      <UsagePanel projectId={project.id} />
    </main>
  );
}
