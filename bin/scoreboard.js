#!/usr/bin/env node
// The `scoreboard` command. From a checkout it runs the TypeScript sources; an image that ships
// only the compiled `dist/` runs that.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
