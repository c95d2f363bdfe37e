import type { Browser } from 'playwright-core';

type Teardown = (fn: () => unknown) => void;

/** Debian's headless Chromium through playwright-core (no browser download); closed in teardown. */
export async function launchChromium(teardown: Teardown): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  teardown(() => browser.close());
  return browser;
}
