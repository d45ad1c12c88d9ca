#!/usr/bin/env node
// Builds the device page (web/) into dist/web/: one bundled script, one stylesheet, index.html.
// Everything is bundled (no CDN); the output is built by setup (`npm run build`), never committed.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist', 'web');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(root, 'web/src/main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  logLevel: 'warning',
});
await build({ entryPoints: { app: join(root, 'web/src/app.css') }, bundle: true, minify: true, outdir: out, logLevel: 'warning' });
copyFileSync(join(root, 'web/index.html'), join(out, 'index.html'));
