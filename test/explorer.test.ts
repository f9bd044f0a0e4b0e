import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import t, { type Test } from "tap";
import {
  blockHash,
  blockWork,
  formatWork,
  GENESIS,
  newChainSpec,
  targetForLeadingZeroBits,
  targetFromBits,
} from "../src/chain/index.js";
import { chromiumSkip, launchChromium } from "./helpers/browser.js";
import { request, startNode } from "./helpers/node-process.js";

/**
 * The explorer page in a real browser (Debian's chromium, driven by
 * playwright-core) against a real node process: what it shows, that it
 * follows the node live, its buttons and form, its charts, two tabs, a
 * phone's viewport, and that it asks nothing of any host but the node; then
 * a node on a retargeting chain: its name, each block's target as the hashes
 * it takes, and the target spacing drawn on the block times.
 * EXPLORER_SCREENSHOT=<file.png> saves the page once it has blocks and charts.
 */

/** The bound: a block mined elsewhere shows on the page within 2 s, with no reload. */
const LIVE_MS = 2000;

const FLAGS = ["--threads", "2", "--difficulty", "12"];
// On disk, so that the last subtest can restart the node on the same chain.
const dataDir = mkdtempSync(join(tmpdir(), "toychain-explorer-"));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
const node = await startNode([...FLAGS, "--data-dir", dataDir], { t });
const origin = node.url;

/** The pages the test is reloading: the requests a reload aborts are no failure of the page. */
const reloading = new WeakSet<Page>();

/** Reloads the page as a person would; what the reload cuts is not a failure of the page. */
async function reload(page: Page): Promise<void> {
  reloading.add(page);
  try {
    await page.reload();
  } finally {
    reloading.delete(page);
  }
}

/** A page of the explorer (of the walkthrough's node unless `at` names another), with its script errors, console errors and failed loads kept. */
async function openExplorer(context: BrowserContext, at = origin): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    // Chromium logs every 4xx answer; the bad transaction's 400 is the one the test asks for.
    const asked = message.location().url === `${origin}/transactions/new` && message.text().includes("status of 400");
    if (message.type() === "error" && !asked) problems.push(`console error: ${message.text()}`);
  });
  page.on("requestfailed", (failed) => {
    // A stream cut by the page's own close, or a request cut by the test's reload, is not a failure of the page.
    const cut =
      failed.url().endsWith("/events") || (reloading.has(page) && failed.failure()?.errorText === "net::ERR_ABORTED");
    if (!cut) problems.push(`failed: ${failed.url()} ${failed.failure()?.errorText}`);
  });
  await page.goto(`${at}/`);
  await page.locator("#live", { hasText: "live" }).waitFor();
  return { page, problems };
}

const row = (page: Page, index: number) => page.locator(`#blocks tr[data-index="${index}"]`);

/** What the page should write for a target: the hashes a block at it takes, as the node's formatWork writes them. */
const hashesOf = (target: bigint): string => `${formatWork(blockWork(target))} hashes`;
const targetOfBits = (bits: string): bigint => targetFromBits(Number.parseInt(bits, 16));

/** What /chain/tip and /stats say of the chain's work and of mining (absent from a node that predates them). */
interface Tip {
  length: number;
  work?: string;
}
interface Mining {
  mining?: "continuous" | "on request";
}

/** The page's chain work: the tip's when the node counts it, else `fallback` (null: hidden). */
async function expectWork(t: Test, page: Page, tip: Tip, fallback: string | null): Promise<void> {
  const shown = tip.work !== undefined ? `${formatWork(BigInt(tip.work))} hashes` : fallback;
  if (shown === null) {
    t.ok(
      await page.locator("#chain-work").isHidden(),
      "no chain work: the node does not count it, and the page has a page of blocks",
    );
    return;
  }
  await page.locator("#chain-work", { hasText: shown }).waitFor();
  t.equal(await page.locator("#chain-work").textContent(), shown, `the chain's work: ${shown}`);
}

/**
 * Whether `expression` became true in the page within `timeoutMs`, polled
 * from here with page.evaluate. Not waitForFunction: a string predicate that
 * is not true at once is polled by code that evaluates the string in the
 * page, which the page's Content-Security-Policy (no 'unsafe-eval') refuses
 * with a page error; page.evaluate goes through the DevTools protocol, which
 * the policy does not govern.
 */
async function until(page: Page, expression: string, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(expression)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The pill that says whether the node mines by itself, as /stats says (hidden when it does not say). */
async function expectMining(t: Test, page: Page, { mining }: Mining): Promise<void> {
  if (mining === undefined) {
    t.ok(await page.locator("#mining").isHidden(), "no mining pill: /stats does not say");
    return;
  }
  const shown = mining === "continuous" ? "mining continuously" : "mining on request";
  await page.locator("#mining", { hasText: shown }).waitFor();
  t.pass(`the header says ${shown}`);
}

/**
 * The rows of the block-time chart's canvas holding the guide line's colour
 * (#b45309), with how many such pixels each: the page's own code, as a
 * string (the tests are compiled without the DOM's types).
 */
const GUIDE_ROWS = `(() => {
  const canvas = document.querySelector("#times-chart canvas");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const rows = {};
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i] !== 0xb4 || pixels[i + 1] !== 0x53 || pixels[i + 2] !== 0x09) continue;
    const y = Math.floor(i / 4 / canvas.width);
    rows[y] = (rows[y] ?? 0) + 1;
  }
  return JSON.stringify({ width: canvas.width, rows });
})()`;

async function guideRows(page: Page): Promise<{ width: number; rows: Record<string, number> }> {
  return JSON.parse(String(await page.evaluate(GUIDE_ROWS)));
}

t.test("the explorer in a real browser", { skip: chromiumSkip }, async (t) => {
  const browser: Browser = await launchChromium();
  t.teardown(() => browser.close());
  const requests: string[] = [];
  const local = (url: URL) => url.protocol === "data:" || url.origin === origin;
  /** A browser context that may reach the node alone, every request it sends kept. */
  const guarded = async (options: Parameters<Browser["newContext"]>[0]): Promise<BrowserContext> => {
    const made = await browser.newContext(options);
    made.on("request", (sent) => requests.push(sent.url()));
    await made.route(
      (url) => !local(url),
      (route) => route.abort("internetdisconnected"),
    );
    return made;
  };
  const context = await guarded({ viewport: { width: 1280, height: 1100 } });
  const { page, problems } = await openExplorer(context);

  await t.test("it shows the node", async (t) => {
    await page.locator("#node-id", { hasText: node.nodeId }).waitFor();
    t.equal(await page.locator("#node-id").textContent(), node.nodeId, "the node id");
    t.equal(await page.locator("#threads").textContent(), "2", "its threads");
    t.equal(await page.locator("#difficulty").textContent(), "12 bits", "its difficulty");
    const { kernel } = (await request<{ kernel: string }>(`${origin}/stats`)).body;
    t.equal(await page.locator("#kernel").textContent(), kernel, "its kernel, as /stats names it");
    await row(page, 1).waitFor();
    t.match(await row(page, 1).textContent(), /^1.*3359bdb5a0bb/, "the genesis block, with its hash");
    t.ok(await page.locator("#token-field").isHidden(), "no token field: this node has no token");
    t.strictSame(problems, [], "the page loaded with no error");
  });

  await t.test("on the walkthrough's chain: its name, the fixed target of each block, no spacing line", async (t) => {
    t.equal(await page.locator("#chain-name").textContent(), "walkthrough", "the header names the chain");
    t.equal(await page.locator("#chain-id").textContent(), blockHash(GENESIS), "its id, the seed's genesis hash");
    t.equal(await page.locator("#retarget").textContent(), "none: a fixed difficulty");
    const fixed = hashesOf(targetForLeadingZeroBits(12));
    t.equal(fixed, "4.10 k hashes", "2^12 hashes a block at 12 bits");
    t.equal(await row(page, 1).locator("td.target").textContent(), fixed, "the genesis: the fixed target's hashes");
    const tip = (await request<Tip>(`${origin}/chain/tip`)).body;
    await expectWork(
      t,
      page,
      tip,
      `${formatWork(BigInt(tip.length) * blockWork(targetForLeadingZeroBits(12)))} hashes`,
    );
    await expectMining(t, page, (await request<Mining>(`${origin}/stats`)).body);
    t.equal(await page.locator("#times-chart").getAttribute("data-guide"), null, "the block times have no guide");
    t.notMatch(await page.locator("#times-chart").textContent(), "target spacing", "nor a legend for one");
  });

  await t.test("a block mined with a plain GET /mine appears within 2 s, with no reload", async (t) => {
    const mined = await request<{ index: number }>(`${origin}/mine`);
    t.equal(mined.status, 200);
    await row(page, mined.body.index).waitFor({ timeout: LIVE_MS });
    t.equal(await page.locator("#height").textContent(), String(mined.body.index), "the height follows");
    t.match(await row(page, mined.body.index).textContent(), node.nodeId.slice(0, 8), "the miner from its reward");
  });

  await t.test("the Mine button forges a block, which then appears", async (t) => {
    const button = page.getByRole("button", { name: "Mine" });
    await button.click();
    const answer = page.locator("#action-answer", { hasText: "New Block Forged" });
    await answer.waitFor();
    const index = Number(/block (\d+)/.exec((await answer.textContent()) ?? "")?.[1]);
    t.equal(index, 3, "the answer names block 3");
    await row(page, index).waitFor();
    const tip = await request<{ length: number }>(`${origin}/chain/tip`);
    t.equal(tip.body.length, 3, "the node's chain holds it");
  });

  await t.test("a bad transaction shows the API's message at its field", async (t) => {
    const bad = { sender: "Lea", recipient: "Mark", amount: -1 };
    const api = await request<{ errors: { field: string; message: string }[] }>(`${origin}/transactions/new`, {
      body: bad,
    });
    t.equal(api.status, 400);
    const expected = api.body.errors.find((e) => e.field === "amount")?.message ?? "";
    await page.getByLabel("Sender").fill(bad.sender);
    await page.getByLabel("Recipient").fill(bad.recipient);
    await page.getByLabel("Amount").fill(String(bad.amount));
    await page.getByRole("button", { name: "Send transaction" }).click();
    await page.locator("#amount-error", { hasText: expected }).waitFor();
    t.equal(await page.locator("#amount-error").textContent(), expected, `the API's own words: "${expected}"`);
    t.equal(await page.getByLabel("Amount").getAttribute("aria-invalid"), "true", "the field is marked invalid");

    await page.getByLabel("Amount").fill("10");
    await page.getByRole("button", { name: "Send transaction" }).click();
    await page.locator("#transaction-answer", { hasText: "Transaction added" }).waitFor();
    await page.locator("#pending tr", { hasText: "Lea" }).waitFor({ timeout: LIVE_MS });
    t.pass("a good one is taken, and shows among the pending transactions");
  });

  await t.test("clicking a block shows its transactions; older blocks come in pages", async (t) => {
    await request(`${origin}/mine`);
    const block = await request<{ chain: unknown[] }>(`${origin}/chain?from=4&limit=1`);
    t.equal(block.status, 200);
    await row(page, 4).waitFor({ timeout: LIVE_MS });
    await page.getByRole("button", { name: "Show the transactions of block 4" }).click();
    const detail = page.locator("#block-detail");
    await detail.locator("td", { hasText: "Lea" }).waitFor();
    t.match(await detail.textContent(), /Block 4: 2 transactions/, "block 4: Lea's payment and the reward");
    // Ten blocks a page: mine past it, and the genesis moves to the second page.
    for (let i = 0; i < 8; i++) await request(`${origin}/mine`);
    await row(page, 12).waitFor({ timeout: LIVE_MS });
    await reload(page);
    await page.locator("#live", { hasText: "live" }).waitFor();
    await row(page, 12).waitFor();
    t.equal(await row(page, 1).count(), 0, "the first page holds the ten newest blocks");
    await page.getByRole("button", { name: "Older blocks" }).click();
    await row(page, 1).waitFor();
    t.pass("Older blocks reads the page before them");
  });

  await t.test("the charts draw points", async (t) => {
    const points = async (id: string) => Number(await page.locator(`#${id}`).getAttribute("data-points"));
    // The page's own code, as a string: the tests are compiled without the DOM's types.
    t.ok(
      await until(page, 'Number(document.querySelector("#rate-chart").dataset.points) > 0'),
      "the rate chart has points",
    );
    t.ok((await points("times-chart")) >= 9, `block times: ${await points("times-chart")} points`);
    t.ok((await points("rate-chart")) >= 1, `hash rate: ${await points("rate-chart")} points, one per job at least`);
    t.equal(await page.locator("#rate-chart canvas").count(), 1, "drawn on a canvas by uPlot");
    if (process.env.EXPLORER_SCREENSHOT)
      await page.screenshot({ path: process.env.EXPLORER_SCREENSHOT, fullPage: true });
  });

  await t.test("two tabs follow the node at once", async (t) => {
    const second = await openExplorer(context);
    const mined = await request<{ index: number }>(`${origin}/mine`);
    await Promise.all([
      row(page, mined.body.index).waitFor({ timeout: LIVE_MS }),
      row(second.page, mined.body.index).waitFor({ timeout: LIVE_MS }),
    ]);
    t.pass("both show the new block");
    await second.page.close();
    t.strictSame(second.problems, [], "the second tab: no error");
  });

  await t.test("a block that comes while the page reads its first blocks stays on it", async (t) => {
    const slow = await context.newPage();
    slow.setDefaultTimeout(15_000);
    t.teardown(() => slow.close());
    // The page is live (its stream open) before its first read of the chain answers: a block comes between.
    let held = 0;
    await slow.route(
      (url) => url.pathname === "/chain" && url.searchParams.has("from"),
      async (route) => {
        held++;
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await route.continue();
      },
      { times: 1 },
    );
    await slow.goto(`${origin}/`);
    await slow.locator("#live", { hasText: "live" }).waitFor();
    const mined = await request<{ index: number }>(`${origin}/mine`);
    await row(slow, mined.body.index).waitFor({ timeout: LIVE_MS });
    await slow.locator(`#blocks tr[data-index="${mined.body.index - 1}"]`).waitFor();
    t.equal(held, 1, "the first read was held back");
    t.ok(await row(slow, mined.body.index).isVisible(), "the new block is still shown once the older ones are read");
  });

  await t.test("a stream answered with an error (a stopping node's 503, a proxy's 502) is opened again", async (t) => {
    const third = await context.newPage();
    third.setDefaultTimeout(15_000);
    t.teardown(() => third.close());
    // EventSource gives up for good on an answer that is not a stream; only the page's own retry brings it back.
    let refused = 0;
    await third.route(
      `${origin}/events`,
      (route) => {
        refused++;
        return route.fulfill({ status: refused === 1 ? 503 : 502, contentType: "application/json", body: "{}" });
      },
      { times: 2 },
    );
    await third.goto(`${origin}/`);
    await third.locator("#live", { hasText: "reconnecting" }).waitFor();
    await third.locator("#live", { hasText: "live" }).waitFor();
    t.equal(refused, 2, "two streams refused, then the third opened");
    const mined = await request<{ index: number }>(`${origin}/mine`);
    await row(third, mined.body.index).waitFor({ timeout: LIVE_MS });
    t.pass("and the page follows the node again");
  });

  await t.test("readable on a phone", async (t) => {
    await page.setViewportSize({ width: 390, height: 844 });
    t.teardown(() => page.setViewportSize({ width: 1280, height: 1100 }));
    // The charts follow their boxes through a ResizeObserver, whose callbacks run before the next frame.
    const fits = "document.documentElement.scrollWidth <= window.innerWidth";
    await until(page, fits, 5000);
    const overflow = Number(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"));
    t.ok(overflow <= 0, `at 390 px, nothing wider than the screen (${overflow} px over)`);
    const width = Number(await page.evaluate('document.querySelector("#rate-chart canvas").clientWidth'));
    t.ok(width <= 390, `the charts shrink to fit (${width} px)`);
  });

  t.strictSame(problems, [], "no script error, no console error, nothing failed to load");

  await t.test(
    "after the node restarts with an API token, the page reconnects, catches up, and asks for it",
    async (t) => {
      await node.stop();
      await page.locator("#live", { hasText: "reconnecting" }).waitFor();
      const token = "explorer-test-token-0123456789";
      const again = await startNode(
        [...FLAGS, "--data-dir", dataDir, "--port", String(node.port), "--api-token", token],
        {
          t,
        },
      );
      const mined = await request<{ index: number }>(`${origin}/mine`, {
        headers: { authorization: `Bearer ${token}` },
      });
      t.equal(again.nodeId, node.nodeId, "the same node, on the same port");
      // EventSource retries after the stream's retry: 1000; the page then reads its state again.
      await page.locator("#live", { hasText: "live" }).waitFor();
      await row(page, mined.body.index).waitFor();
      t.pass(`block ${mined.body.index}, mined after the restart, shows with no reload`);

      await page.getByLabel("API token").waitFor();
      await page.getByRole("button", { name: "Mine" }).click();
      await page.locator("#action-answer.failed", { hasText: "needs this node's API token" }).waitFor();
      t.pass("Mine without the token shows the node's 401 message");
      await page.getByLabel("API token").fill(token);
      await page.getByRole("button", { name: "Mine" }).click();
      await page.locator("#action-answer", { hasText: `block ${mined.body.index + 1}` }).waitFor();
      await row(page, mined.body.index + 1).waitFor();
      t.pass("with it, Mine forges the next block, which appears");
    },
  );

  const outside = requests.filter((url) => new URL(url).hostname !== "127.0.0.1" && !url.startsWith("data:"));
  t.strictSame(outside, [], "every request went to 127.0.0.1");
  t.ok(requests.includes(`${origin}/explorer/uPlot.iife.min.js`), "uPlot came from the node");
  t.ok(requests.includes(`${origin}/events`), "and the live stream");
});

t.test("the explorer on a retargeting chain", { skip: chromiumSkip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "toychain-explorer-chain-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // 10^5 hashes a block: instant on any kernel.
  const file = newChainSpec({
    name: "explorer-quick",
    blockTime: 2,
    halfLife: 120,
    hashesPerSecond: 50_000,
    now: Date.now() / 1000 - 60,
  });
  const specPath = join(dir, "explorer-quick.json");
  writeFileSync(specPath, JSON.stringify(file, null, 2));
  const quick = await startNode(["--chain", specPath, "--threads", "1"], { t });
  for (let i = 0; i < 2; i++) t.equal((await request(`${quick.url}/mine`)).status, 200, `block ${i + 2} mined`);

  const browser: Browser = await launchChromium();
  t.teardown(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 1100 } });
  const { page, problems } = await openExplorer(context, quick.url);

  await t.test("it names the chain and how its target is set", async (t) => {
    await page.locator("#chain-name", { hasText: "explorer-quick" }).waitFor();
    t.equal(await page.locator("#chain-name").textContent(), "explorer-quick", "the header names the chain");
    t.equal(await page.locator("#chain-id").textContent(), blockHash(file.genesis), "its id, the spec's genesis hash");
    t.equal(await page.locator("#retarget").textContent(), "aserti3-2d, toward a block every 2 s");
    await expectMining(t, page, (await request<Mining>(`${quick.url}/stats`)).body);
  });

  await t.test("each block shows its target as the hashes it takes, from the bits it states", async (t) => {
    const { body } = await request<{ chain: { index: number; bits: string }[] }>(`${quick.url}/chain`);
    t.equal(body.chain.length, 3);
    for (const block of body.chain) {
      const cell = row(page, block.index).locator("td.target");
      const expected = hashesOf(targetOfBits(block.bits));
      await cell.waitFor();
      t.equal(await cell.textContent(), expected, `block ${block.index}: bits ${block.bits} are ${expected}`);
      t.equal(await cell.getAttribute("title"), `compact bits ${block.bits}`, "its bits on hover");
    }
    t.equal(
      await row(page, 1).locator("td.target").textContent(),
      hashesOf(targetOfBits(file.genesis.bits as string)),
      "the genesis: the spec's initial target",
    );
  });

  await t.test("a block mined while the page is open shows its target too", async (t) => {
    const mined = await request<{ index: number; bits: string }>(`${quick.url}/mine`);
    t.equal(mined.status, 200);
    const expected = hashesOf(targetOfBits(mined.body.bits));
    await row(page, mined.body.index).locator("td.target", { hasText: expected }).waitFor();
    t.pass(`block ${mined.body.index}: ${expected} (bits ${mined.body.bits}), with no reload`);
    await page.getByRole("button", { name: `Show the transactions of block ${mined.body.index}` }).click();
    const target = page.locator("#block-detail p.target");
    await target.waitFor();
    t.equal(
      await target.textContent(),
      `Target: ${expected} expected (compact bits ${mined.body.bits})`,
      "its detail names the target",
    );
    await expectWork(t, page, (await request<Tip>(`${quick.url}/chain/tip`)).body, null);
  });

  await t.test("the block times chart draws the target spacing as a horizontal line", async (t) => {
    const chart = page.locator("#times-chart");
    t.ok(await until(page, 'Number(document.querySelector("#times-chart").dataset.points) >= 2'), "two block times");
    t.equal(await chart.getAttribute("data-guide"), "2", "a guide at 2 s");
    t.match(await chart.locator(".u-legend").textContent(), "target spacing (2 s)", "named in the legend");
    t.match(await page.locator("#times-help").textContent(), "the dashed line is the chain's target spacing, 2 s");
    const { width, rows } = await guideRows(page);
    const counts = Object.values(rows);
    const widest = Math.max(0, ...counts);
    t.ok(counts.length > 0 && counts.length <= 3, `the line's colour lies on ${counts.length} rows of pixels`);
    t.ok(widest >= width / 3, `dashed across the chart: ${widest} of its ${width} pixels`);
  });

  t.strictSame(problems, [], "no script error, no console error, nothing failed to load");
});
