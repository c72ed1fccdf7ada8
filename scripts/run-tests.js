#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.js [filter...]  — filters are substrings of the file paths.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

const files = collect(join(root, 'test'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
for (const name of ['TEST_DATABASE_URL', 'TEST_REDIS_URL']) {
  if (process.env[name]) continue;
  // CI sets REQUIRE_TEST_SERVICES: there a missing service is a failure, not a skip.
  if (process.env.REQUIRE_TEST_SERVICES === '1') {
    console.error(`${name} is required (REQUIRE_TEST_SERVICES=1)`);
    process.exit(1);
  }
  console.log(`note: ${name} is not set: the suites that need PostgreSQL or Redis are skipped`);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  // A hung test fails after the timeout instead of holding the whole run.
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
