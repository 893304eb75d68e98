#!/usr/bin/env node
// Enforces DESIGN.md §8: which layer folder may import which. The per-folder tsconfig already
// stops core layers from touching node:* or the DOM; this checks the arrows between layers.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const ALLOWED = {
  base: [],
  memory: ['base'],
  cpu: ['base', 'memory'],
  jit: ['base', 'memory', 'cpu'],
  devices: ['base', 'memory'],
  loader: ['base', 'memory'],
  machine: ['base', 'memory', 'cpu', 'jit', 'devices', 'loader'],
  control: ['base', 'machine', 'memory', 'cpu', 'devices', 'loader'],
  'platform/node': ['base', 'memory', 'cpu', 'jit', 'devices', 'loader', 'machine', 'control'],
  'platform/browser': ['base', 'memory', 'cpu', 'jit', 'devices', 'loader', 'machine', 'control'],
  api: ['base', 'memory', 'machine', 'control', 'platform/node', 'loader', 'devices', 'cpu'],
  cli: ['base', 'memory', 'cpu', 'devices', 'loader', 'machine', 'control', 'platform/node', 'api'],
  web: ['base', 'control', 'api', 'platform/browser'],
  'test-support': Object.keys({}),
};
const CORE = new Set(['base', 'memory', 'cpu', 'jit', 'devices', 'loader', 'machine', 'control']);
/** Layers that run in a browser: no node:* at all (their tsconfig has no Node types either). */
const BROWSER = new Set(['platform/browser', 'web']);
const SRC = resolve('src');

function layerOf(file) {
  const rel = relative(SRC, file).split('\\').join('/');
  if (rel.startsWith('platform/')) return rel.split('/').slice(0, 2).join('/');
  return rel.split('/')[0];
}

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const problems = [];
for (const file of walk(SRC, [])) {
  const from = layerOf(file);
  const isTest = file.endsWith('.test.ts');
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
    const spec = m[1];
    if (spec.startsWith('node:')) {
      if (CORE.has(from) && !isTest) problems.push(`${relative('.', file)}: core layer '${from}' imports ${spec}`);
      if (BROWSER.has(from) && !isTest) problems.push(`${relative('.', file)}: browser layer '${from}' imports ${spec}`);
      continue;
    }
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(SRC)) continue;
    const to = layerOf(target);
    if (to === from || isTest || from === 'test-support' || to === 'test-support') continue;
    if (!(ALLOWED[from] ?? []).includes(to)) {
      problems.push(`${relative('.', file)}: layer '${from}' may not import layer '${to}' (${spec})`);
    }
  }
}
if (problems.length) {
  console.error('layer rule violations (DESIGN.md §8):\n  ' + problems.join('\n  '));
  process.exit(1);
}
console.log('layers: ok');
