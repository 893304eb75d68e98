#!/usr/bin/env node
// Runs every compiled test (dist/**/*.test.js) and every suite in tests/**/*.test.mjs with
// node's own test runner. No test may hang CI: each has a 10-minute limit, and the runner
// exits when tests are done even if a test left a handle open.
// Under CI (CI set), a skipped test fails the run.
// Usage: node scripts/run-tests.mjs [substring filter...]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js') || name.endsWith('.test.mjs')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
// Unit tests compile to dist/; whole-system suites (ISA programs, Linux boots) live in tests/.
const roots = ['dist', 'tests'].filter((d) => existsSync(d));
const files = roots.flatMap((d) => walk(d, [])).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error('no test files found under dist/ (did the build run?)');
  process.exit(1);
}
const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=600000', '--test-force-exit', ...files], {
  stdio: ['inherit', 'pipe', 'inherit'],
});
// Tee the report and remember the summary: under CI a skipped test is a failure, because a
// skip there means a prerequisite that .ci/run should have installed is missing.
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4096);
});
child.on('close', (code) => {
  const skipped = Number(/# skipped (\d+)/.exec(tail)?.[1] ?? 0);
  if (code === 0 && process.env.CI && skipped > 0) {
    console.error(`${skipped} test(s) skipped under CI: a prerequisite is missing (see the skip reasons above)`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
