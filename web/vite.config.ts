import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web app (issue 19): Preact pages built into dist/web, which the service serves at / (src/api/web-app.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One small bundle: the budget is 100 KB compressed for the first load.
    modulePreload: { polyfill: false },
  },
  // `npx vite web` during development: the API of a service running on :3000.
  server: { proxy: { '/api': 'http://127.0.0.1:3000', '/topics': 'http://127.0.0.1:3000' } },
});
