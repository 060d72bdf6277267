/**
 * The PATH for the system tools VIBN runs as root (mkfs.ext4, resize2fs, losetup, useradd live in sbin). A
 * root shell's PATH often lacks the sbin folders (`su` without `-`, a user's PATH kept by sudo), and a tool
 * not found there would stop every command of every project.
 */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export function systemPath(path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string {
  const parts = path.split(':').filter(Boolean);
  return [...parts, ...SBIN.filter((dir) => !parts.includes(dir))].join(':');
}

/** `process.env` with the sbin folders on PATH, for execa and spawn. */
export const systemEnv = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: systemPath() });
