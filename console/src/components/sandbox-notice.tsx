import { useEffect, useState } from 'react';
// The same words the conversation uses when a request meets the missing sandbox.
import { SANDBOX_MISSING_FOR_FOUNDER, type SandboxHealth } from '../../../core/sandbox-missing';

/** How often the notice looks again, so it goes away once whoever runs VIBN has installed the sandbox. */
const RECHECK_MS = 60_000;

/**
 * Says plainly when this server cannot run code (its sandbox is missing), from the public /health. The founder
 * reads one sentence; whoever runs VIBN finds the package to install under it.
 */
export function SandboxNotice() {
  const [sandbox, setSandbox] = useState<SandboxHealth | null>(null);
  useEffect(() => {
    let gone = false;
    const look = () =>
      fetch('/health')
        .then((res) => res.json() as Promise<{ sandbox?: SandboxHealth }>)
        .then((body) => !gone && setSandbox(body.sandbox ?? null))
        .catch(() => undefined);
    void look();
    const timer = setInterval(look, RECHECK_MS);
    return () => {
      gone = true;
      clearInterval(timer);
    };
  }, []);
  if (!sandbox || sandbox.ok) return null;
  return (
    <div className="notice banner" data-testid="sandbox-notice" role="status">
      <p>{SANDBOX_MISSING_FOR_FOUNDER}</p>
      <details>
        <summary>For whoever runs VIBN</summary>
        <p>
          Install the <code>{sandbox.package}</code> package (<code>{sandbox.fix}</code>) on the machine that runs VIBN. What the
          check said: {sandbox.reason}
        </p>
      </details>
    </div>
  );
}
