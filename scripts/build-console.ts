/**
 * `npm start`'s first step: builds the web console (console/ → console/dist) unless the build is already newer
 * than its sources. A folder lock keeps two builds (two starts, or a start and a test file) from writing over
 * each other, or over a console being served.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { projectRoot } from '../lib/config.js';

const CONSOLE = path.join(projectRoot, 'console');
const INDEX = path.join(CONSOLE, 'dist', 'index.html');
const BUILD_LOCK = path.join(CONSOLE, '.build-lock');
/** A lock older than this was left by a build that was killed: no build takes so long. */
const STALE_LOCK_MS = 5 * 60_000;
const WAIT_FOR_OTHER_BUILD_MS = 2 * 60_000;

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, (await fs.stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

async function consoleIsFresh(): Promise<boolean> {
  const built = await fs.stat(INDEX).then((s) => s.mtimeMs).catch(() => 0);
  if (!built) return false;
  const sources = Math.max(await newestSource(path.join(CONSOLE, 'src')), (await fs.stat(path.join(CONSOLE, 'index.html'))).mtimeMs);
  return built >= sources;
}

/** Builds the console unless console/dist is up to date with console/src; waits out another build. */
export async function ensureConsoleBuilt(): Promise<void> {
  if (await consoleIsFresh()) return;
  const lockAge = await fs.stat(BUILD_LOCK).then((s) => Date.now() - s.mtimeMs, () => 0);
  if (lockAge > STALE_LOCK_MS) await fs.rm(BUILD_LOCK, { recursive: true, force: true });
  const locked = await fs.mkdir(BUILD_LOCK).then(() => true, () => false);
  if (!locked) {
    const deadline = Date.now() + WAIT_FOR_OTHER_BUILD_MS;
    while (await fs.stat(BUILD_LOCK).then(() => true, () => false)) {
      if (Date.now() > deadline) throw new Error(`Another build of the console held ${BUILD_LOCK} for over ${WAIT_FOR_OTHER_BUILD_MS / 1000} s; remove it if no build runs`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return;
  }
  try {
    await execa('npx', ['vite', 'build', '-c', 'console/vite.config.ts', '--logLevel', 'warn'], { cwd: projectRoot, stdio: 'inherit' });
  } finally {
    await fs.rm(BUILD_LOCK, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureConsoleBuilt().catch((err: Error) => {
    process.stderr.write(`The web console could not be built: ${err.message}\n`);
    process.exit(1);
  });
}
