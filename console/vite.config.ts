/**
 * The founder's console: a single-page app the API serves from `console/dist` at `/`. `npm run build` builds
 * it; `npx vite -c console/vite.config.ts` serves it with hot reload, proxying /api to a running `npm start`.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:3000', ws: true } } },
});
