import type { DeploySettings } from '../lib/types';

type Kind = DeploySettings['kind'];

const KIND_NAMES: Record<Kind, string> = {
  none: 'No deploys',
  command: 'Run a command on this machine',
  coolify: 'Coolify',
  webhook: 'Call a webhook',
};

/** A blank setting of a kind, keeping the site address when switching. */
function blank(kind: Kind, url?: string): DeploySettings {
  const site = url ? { url } : {};
  if (kind === 'command') return { kind, command: '', ...site };
  if (kind === 'coolify') return { kind, baseUrl: '', applicationUuid: '', ...site };
  if (kind === 'webhook') return { kind, webhookUrl: '', ...site };
  return { kind: 'none' };
}

/** Drops empty optional fields, so the API never sees `url: ""`. */
function tidy(d: DeploySettings): DeploySettings {
  if (d.kind === 'none') return d;
  const { url, ...rest } = d;
  return (url ? { ...rest, url } : rest) as DeploySettings;
}

/** How the project deploys: a small form per kind. Tokens and signing secrets are set under Secrets. */
export function DeployFields({ value, onChange }: { value: DeploySettings; onChange: (d: DeploySettings) => void }) {
  const update = (patch: Record<string, string>) => onChange(tidy({ ...value, ...patch } as DeploySettings));
  const text = (key: string, label: string, current: string | undefined, placeholder?: string) => (
    <label>
      <span className="label">{label}</span>
      <input value={current ?? ''} placeholder={placeholder} onChange={(e) => update({ [key]: e.target.value })} data-testid={`deploy-${key}`} />
    </label>
  );

  return (
    <div className="deploy-fields">
      <label>
        <span className="label">How to deploy</span>
        <select value={value.kind} onChange={(e) => onChange(blank(e.target.value as Kind, 'url' in value ? value.url : undefined))} data-testid="deploy-kind">
          {(Object.keys(KIND_NAMES) as Kind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_NAMES[k]}
            </option>
          ))}
        </select>
      </label>
      {value.kind === 'command' && text('command', 'Command', value.command, './deploy.sh')}
      {value.kind === 'coolify' && (
        <>
          {text('baseUrl', 'Coolify address', value.baseUrl, 'https://coolify.example.com')}
          {text('applicationUuid', 'Application id', value.applicationUuid)}
        </>
      )}
      {value.kind === 'webhook' && text('webhookUrl', 'Webhook address', value.webhookUrl, 'https://…')}
      {value.kind !== 'none' && text('url', 'Where the site can be opened (optional)', value.url, 'https://…')}
    </div>
  );
}
