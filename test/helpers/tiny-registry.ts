/**
 * A package registry of one package, as files for the stand-in internet to serve: the package's document
 * (what `npm install` asks for first) and its tarball, made with the real `npm pack`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

export const TINY_PACKAGE = 'tiny-greeting';

/** Writes the registry into `dir`, for packages fetched from `baseUrl` (the stand-in's URL, ending in /). */
export async function writeTinyRegistry(dir: string, baseUrl: string): Promise<void> {
  const source = path.join(dir, 'source');
  await fs.mkdir(source, { recursive: true });
  await fs.writeFile(path.join(source, 'package.json'), JSON.stringify({ name: TINY_PACKAGE, version: '1.0.0', main: 'index.js' }));
  await fs.writeFile(path.join(source, 'index.js'), "module.exports = 'hello from the registry';\n");
  const { stdout } = await execa('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: source });
  const tarball = await fs.readFile(path.join(dir, stdout.trim()));
  const dist = {
    tarball: `${baseUrl}tarballs/${stdout.trim()}`,
    shasum: createHash('sha1').update(tarball).digest('hex'),
    integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
  };
  await fs.mkdir(path.join(dir, 'tarballs'), { recursive: true });
  await fs.writeFile(path.join(dir, 'tarballs', stdout.trim()), tarball);
  const version = { name: TINY_PACKAGE, version: '1.0.0', main: 'index.js', dist };
  await fs.writeFile(path.join(dir, `${TINY_PACKAGE}.json`), JSON.stringify({ name: TINY_PACKAGE, 'dist-tags': { latest: '1.0.0' }, versions: { '1.0.0': version } }));
}
