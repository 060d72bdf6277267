import WebSocket from 'ws';
import { afterAll, beforeAll, it } from 'vitest';
import { serve } from './helpers/browser.js';
import { startRequestHarness } from './helpers/request-harness.js';
let h: Awaited<ReturnType<typeof startRequestHarness>>;
beforeAll(async () => { h = await startRequestHarness([], {}, { inProcessWorker: false }); });
afterAll(async () => { await h.database.drop(); });
it('app.close after a refused upgrade', async () => {
  const base = await serve(h.app);
  const projectId = await h.createProject();
  for (const path of [`/api/projects/${projectId}/terminal`, '/api/nosuch', '/api/stream?ticket=bad']) {
    const ws = new WebSocket(base.replace('http', 'ws') + path);
    const outcome = await new Promise((r) => { ws.once('unexpected-response', (_q, res) => r(`http ${res.statusCode}`)); ws.once('open', () => r('open')); ws.once('error', (e) => r(`error ${e.message}`)); });
    console.log('DBG', path, outcome);
    ws.terminate();
  }
  const t0 = Date.now();
  await Promise.race([h.app.close(), new Promise((r) => setTimeout(r, 10_000))]);
  console.log('DBG close took', Date.now() - t0);
});
