import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';

/**
 * Serves the demo's deployed site. The root is the `current` symlink that each deploy switches, so every
 * request sees the newest release without a restart.
 */
export async function serveSite(root: string, host: string, port: number) {
  const app = Fastify();
  await app.register(fastifyStatic, { root, index: 'index.html' });
  const url = await app.listen({ host, port });
  return { url, close: () => app.close() };
}
