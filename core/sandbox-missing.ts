/**
 * When this server cannot run agent commands (bubblewrap is missing or cannot start), each reader hears it in
 * their own words: the founder a plain sentence with nothing to act on but a person, the operator the package.
 */

/** What the founder reads in the conversation and in the console's banner. */
export const SANDBOX_MISSING_FOR_FOUNDER = "This server can't run code yet: its sandbox is not installed. Whoever runs VIBN can fix it.";

/** The Debian package that provides the sandbox (`bwrap`). */
export const SANDBOX_PACKAGE = 'bubblewrap';

/** The command that installs it, for logs and /health. */
export const SANDBOX_INSTALL_COMMAND = `apt-get install -y ${SANDBOX_PACKAGE}`;

/** The sandbox's state as /health and the console show it. */
export type SandboxHealth = { ok: true; unsandboxed?: true } | { ok: false; reason: string; package: string; fix: string };
