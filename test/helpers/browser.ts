import { existsSync } from 'node:fs';

/** Debian's chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The skip reason of the browser suites on a machine without chromium. */
export const SKIP_BROWSER = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found: the browser tests need Debian's chromium (apt-get install -y chromium), or CHROMIUM_PATH`;

/** Headless, no sandbox (root), and none of chromium's own network traffic (the machine is offline). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
