#!/usr/bin/env node
// Entry point of the `banquise` command; the code lives in dist/ (built by `npm ci`/`npm run build`).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    console.error('banquise: not built yet; run `npm run build` (or `npm ci`) first');
    process.exit(70);
  }
  throw err;
});
