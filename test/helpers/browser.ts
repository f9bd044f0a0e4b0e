import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium: playwright-core never downloads a browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** tap's skip option for a browser test: false when chromium is there, else why the test cannot run. */
export const chromiumSkip: string | false = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: the browser checks need Debian's chromium ` +
    "(apt-get install -y chromium, as .ci/run does); playwright-core never downloads a browser";

/**
 * Headless chromium as root on a machine with no internet: no sandbox, and
 * none of the background connections that the closed network would refuse.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-gpu",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
