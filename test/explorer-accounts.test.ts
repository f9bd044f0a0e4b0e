import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import t from "tap";
import { blockHash, GENESIS, newChainSpec, specFromFile, type Transaction } from "../src/chain/index.js";
import { chromiumSkip, launchChromium } from "./helpers/browser.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";
import { newWallet, transfer } from "./helpers/wallets.js";

/**
 * The explorer's search and its views in a real browser (Debian's chromium,
 * driven by playwright-core) against real node processes: on an accounts
 * chain, an address searched shows its balance, nonce, pending transfers and
 * transactions (in pages, "Older" and back, kept across a reload), a
 * transaction pending then in a block with its confirmations (following the
 * blocks as they come), a block found by its hash whose addresses lead to
 * their accounts, and what matches nothing said on the page; on the
 * walkthrough's chain, a block found by its height or hash, addresses and ids
 * answered with "keeps no accounts", and names shown as text, never as markup.
 */

const REWARD = 1000;

/**
 * Chromium logs every 4xx answer as a console error: the 404s a search meets
 * on its way (a block hash tried before a transaction id, an id that nothing
 * has) are asked for by the test; any other is a problem.
 */
async function openExplorer(
  browser: Browser,
  origin: string,
  expected404: ReadonlySet<string>,
): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  // The page may reach the node alone: anything else would fail as a problem.
  await context.route(
    (url) => url.origin !== origin,
    (route) => route.abort("internetdisconnected"),
  );
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("dialog", (dialog) => {
    problems.push(`a ${dialog.type()} box: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("console", (message) => {
    const asked = expected404.has(message.location().url) && message.text().includes("status of 404");
    if (message.type() === "error" && !asked) problems.push(`console error: ${message.text()}`);
  });
  page.on("requestfailed", (failed) => {
    if (!failed.url().endsWith("/events")) problems.push(`failed: ${failed.url()} ${failed.failure()?.errorText}`);
  });
  await page.goto(`${origin}/`);
  await page.locator("#live", { hasText: "live" }).waitFor();
  return { page, problems };
}

/** Types a search into the page's box and submits it, as a person would. */
async function search(page: Page, text: string): Promise<void> {
  await page.getByLabel("Search", { exact: true }).fill(text);
  await page.getByRole("button", { name: "Search", exact: true }).click();
}

const text = async (page: Page, selector: string): Promise<string> =>
  ((await page.locator(selector).textContent()) ?? "").trim();

/** The cells of each row of an account's transactions: block, id, direction, from or to, amount, fee. */
const historyCells = async (page: Page): Promise<string[][]> => {
  const rows = await page.locator("#account-transactions tbody tr").all();
  return Promise.all(rows.map((row) => row.locator("td").allTextContents()));
};

t.test("an accounts chain: search, an account, a transaction, a block", { skip: chromiumSkip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "toychain-explorer-accounts-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A low hash rate sets the easiest target the chain allows: blocks in a few ms on one thread.
  const file = newChainSpec({
    name: "explorer-accounts",
    blockTime: 5,
    hashesPerSecond: 1e3,
    now: Math.floor(Date.now() / 1000),
    ledger: "accounts",
    reward: REWARD,
  });
  const specPath = join(dir, "explorer-accounts.json");
  writeFileSync(specPath, JSON.stringify(file, null, 2));
  const chainId = specFromFile(file).id;
  const miner = newWallet("toy");
  const payee = newWallet("toy");
  const node = await startNode(["--chain", specPath, "--threads", "1", "--reward-address", miner.address], { t });
  const origin = node.url;

  /** Mines a block through the API, as another client would; its index. */
  const mine = async (): Promise<number> => {
    const mined = await request<{ index: number }>(`${origin}/mine`, { timeoutMs: 60_000 });
    if (mined.status !== 200) throw new Error(`GET /mine answered ${mined.status}: ${JSON.stringify(mined.body)}`);
    return mined.body.index;
  };
  /** Posts a signed transfer; its id. */
  const post = async (tx: Transaction): Promise<string> => {
    const posted = await request<{ id: string }>(`${origin}/transactions/new`, { body: tx });
    if (posted.status !== 200) throw new Error(`the transfer was refused: ${JSON.stringify(posted.body)}`);
    return posted.body.id;
  };

  // Blocks 2 and 3 pay the miner; block 4 holds its first transfer to the payee, block 5 nothing; a second is pending.
  await mine();
  await mine();
  const confirmed = transfer(chainId, miner, payee.address, { amount: 250, fee: 2, nonce: 1 });
  const confirmedId = await post(confirmed);
  t.equal(await mine(), 4);
  t.equal(await mine(), 5);
  const pendingId = await post(transfer(chainId, miner, payee.address, { amount: 100, fee: 1, nonce: 2 }));

  const unknown = "ab".repeat(32);
  const expected404 = new Set([
    `${origin}/blocks/${pendingId}`,
    `${origin}/blocks/${unknown}`,
    `${origin}/transactions/${unknown}`,
  ]);
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const { page, problems } = await openExplorer(browser, origin, expected404);

  await t.test("the unsigned transaction form gives way to the wallet", async (t) => {
    await page.locator("#signed-only").waitFor({ state: "visible" });
    t.equal(await page.locator("#transaction").isHidden(), true, "no form for what the node would refuse");
    t.match(await page.locator("#signed-only").textContent(), /toychain wallet send/);
  });

  await t.test("an address searched: its balance, nonce, pending transfers and transactions", async (t) => {
    await search(page, payee.address);
    await page.locator("#account-balance").waitFor();
    t.equal(new URL(page.url()).hash, `#/account/${payee.address}`, "a URL of its own");
    t.equal(await text(page, "#view-title"), "Account");
    t.equal(await text(page, "#view-body p.subject"), payee.address, "the address, whole");
    t.equal(await text(page, "#account-balance"), "250", "its balance: the confirmed transfer");
    t.equal(await text(page, "#account-nonce"), "0", "its nonce: it has sent nothing");
    t.equal(await text(page, "#account-pending-in"), "100 (1 transfer)", "the transfer pending to it");
    t.equal(await text(page, "#account-pending-out"), "none");
    t.equal(await page.locator(`#account-pending a[href="#/tx/${pendingId}"]`).count(), 1, "which links to its view");
    const [row, ...others] = await historyCells(page);
    t.same(others, [], "one confirmed transaction");
    t.strictSame(
      [row?.[0], row?.[2], row?.[3], row?.[4], row?.[5]],
      ["4", "in", miner.address, "250", "2"],
      "in block 4: from the miner, 250, fee 2",
    );
    const rows = page.locator("#account-transactions tbody tr");
    t.equal(await rows.first().locator(`a[href="#/account/${miner.address}"]`).count(), 1, "the miner, linked");
    t.equal(await rows.first().locator(`a[href="#/tx/${confirmedId}"]`).count(), 1, "and the transaction");
    t.equal(await page.locator("#view-body .pager a").count(), 0, "no other page");
  });

  await t.test("its transaction: in block 4, with its confirmations", async (t) => {
    await page.locator(`#account-transactions a[href="#/tx/${confirmedId}"]`).click();
    await page.locator("#tx-status").waitFor();
    t.equal(new URL(page.url()).hash, `#/tx/${confirmedId}`);
    t.equal(await text(page, "#tx-status"), "In block 4, 2 confirmations");
    t.equal(await text(page, "#tx-sender"), miner.address);
    t.equal(await page.locator(`#tx-sender a[href="#/account/${miner.address}"]`).count(), 1, "the sender's account");
    t.equal(await page.locator(`#tx-recipient a[href="#/account/${payee.address}"]`).count(), 1, "the recipient's");
    t.strictSame(
      [await text(page, "#tx-amount"), await text(page, "#tx-fee"), await text(page, "#tx-nonce")],
      ["250", "2", "1"],
      "amount, fee and nonce",
    );
    t.equal(await page.locator('#tx-block a[href="#/block/4"]').count(), 1, "and its block");
  });

  await t.test("a transaction id searched: pending, then in the block that comes", async (t) => {
    await search(page, pendingId);
    await page.locator("#tx-status", { hasText: "Pending" }).waitFor();
    t.equal(new URL(page.url()).hash, `#/tx/${pendingId}`, "no block has that hash: the transaction has the id");
    t.equal(await text(page, "#tx-status"), "Pending: this node holds it for a coming block");
    t.equal(await text(page, "#tx-block"), "none yet");
    const index = await mine();
    await page.locator("#tx-status", { hasText: `In block ${index}` }).waitFor();
    t.equal(await text(page, "#tx-status"), `In block ${index}, 1 confirmation`, "with no reload");
    await page.goBack();
    await page.locator("#tx-status", { hasText: "3 confirmations" }).waitFor();
    t.equal(await text(page, "#tx-status"), "In block 4, 3 confirmations", "back: the first, one deeper");
    const again = await mine();
    await page.locator("#tx-status", { hasText: "4 confirmations" }).waitFor();
    t.pass(`block ${again} came: 4 confirmations, with no reload`);
  });

  await t.test("an account follows its transfers and the blocks", async (t) => {
    await search(page, payee.address);
    await page.locator("#account-balance", { hasText: "350" }).waitFor();
    t.equal(await text(page, "#account-pending-in"), "none", "both transfers confirmed");
    const back = transfer(chainId, payee, miner.address, { amount: 40, fee: 3, nonce: 1 });
    const backId = await post(back);
    await page.locator(`#account-pending a[href="#/tx/${backId}"]`).waitFor();
    t.equal(await text(page, "#account-pending-out"), "43 (1 transfer)", "a transfer it sent, pending: amount and fee");
    await mine();
    await page.locator("#account-balance", { hasText: "307" }).waitFor();
    t.equal(await text(page, "#account-nonce"), "1", "confirmed: its nonce");
    const cells = await historyCells(page);
    t.strictSame(
      cells.map((row) => row[2]),
      ["out", "in", "in"],
      "three transactions now, the newest first",
    );
  });

  await t.test("a history in pages: Older, a reload, and back to the newest", async (t) => {
    for (let i = 0; i < 3; i++) await mine();
    // The miner: 10 rewards (blocks 2 to 11) and its 2 transfers, and the payee's to it: 13, 10 a page.
    await search(page, miner.address);
    await page.locator("#view-body p.subject", { hasText: miner.address }).waitFor();
    const blocks = async () => (await historyCells(page)).map((row) => `${row[0]} ${row[2]}`);
    t.strictSame(
      await blocks(),
      [
        "11 reward",
        "10 reward",
        "9 reward",
        "8 reward",
        "8 in",
        "7 reward",
        "6 reward",
        "6 out",
        "5 reward",
        "4 reward",
      ],
      "the first page: the ten newest, block 8's reward after its transfer",
    );
    await page.getByRole("link", { name: "Older", exact: true }).click();
    await page.getByRole("link", { name: "Newest", exact: true }).waitFor();
    t.match(new URL(page.url()).hash, /\?before=/, "the page's cursor is in the URL");
    const older = ["4 out", "3 reward", "2 reward"];
    t.strictSame(await blocks(), older, "the older page: block 4's transfer, then blocks 3 and 2");
    t.equal(await page.getByRole("link", { name: "Older", exact: true }).count(), 0, "the last page");
    await page.reload();
    await page.getByRole("link", { name: "Newest", exact: true }).waitFor();
    t.strictSame(await blocks(), older, "a reload shows the same page");
    await page.getByRole("link", { name: "Newest", exact: true }).click();
    await page.getByRole("link", { name: "Older", exact: true }).waitFor();
    t.equal(new URL(page.url()).hash, `#/account/${miner.address}`, "back to the newest");
    t.equal((await historyCells(page)).length, 10);
  });

  await t.test("a block searched by its hash: its transfers' addresses lead to their accounts", async (t) => {
    const { body: block4 } = await request<{ chain: { previous_hash: string }[] }>(`${origin}/chain?from=5&limit=1`);
    const hash = block4.chain[0]?.previous_hash ?? "";
    await search(page, hash.toUpperCase());
    await page.locator("#block-detail").waitFor();
    t.equal(new URL(page.url()).hash, `#/block/${hash}`);
    t.match(await text(page, "#block-detail h3"), /^Block 4: 2 transactions/);
    t.equal(await text(page, "#block-hash"), hash, "its hash");
    await page.locator(`#block-detail a[href="#/account/${payee.address}"]`).click();
    await page.locator("#view-body p.subject", { hasText: payee.address }).waitFor();
    t.pass("the payee's link opens its account");
    await search(page, "4");
    await page.locator("#block-hash", { hasText: hash }).waitFor();
    t.equal(new URL(page.url()).hash, "#/block/4", "by its height too");
  });

  await t.test("what matches nothing says so on the page, and the view stays", async (t) => {
    const answer = page.locator("#search-answer");
    await search(page, "hello there");
    await answer.getByText(/^Nothing matches "hello there"/).waitFor();
    t.match(await answer.textContent(), "search for an address (toy1…)", "saying what it can find");
    await search(page, unknown);
    await answer.getByText(`Nothing matches ${unknown}`).waitFor();
    t.match(await answer.textContent(), "no block of this node's chain has this hash, and no transaction");
    const typo = `${payee.address.slice(0, -1)}${payee.address.endsWith("q") ? "p" : "q"}`;
    await search(page, typo);
    await answer.getByText("its checksum fails").waitFor();
    t.equal(
      await answer.textContent(),
      `${typo} is not an address of this chain: its checksum fails (a mistyped character?).`,
    );
    await search(page, "999");
    await answer.getByText("No block at height 999").waitFor();
    t.match(await answer.textContent(), /this node's chain has \d+ blocks/);
    t.equal(new URL(page.url()).hash, "#/block/4", "the view shown stays");
  });

  await t.test("an account on a phone: nothing wider than the screen", async (t) => {
    await search(page, miner.address);
    await page.locator("#view-body p.subject", { hasText: miner.address }).waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    const fits = "document.documentElement.scrollWidth <= window.innerWidth";
    // A resize is laid out by the next frame: asked again until then, at most a few times.
    for (let i = 0; i < 20 && !(await page.evaluate(fits)); i++) await page.waitForTimeout(50);
    const overflow = Number(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"));
    t.ok(overflow <= 0, `at 390 px, ${overflow} px over: its tables scroll within their boxes`);
  });

  t.strictSame(problems, [], "no script error, no console error but the 404s searched, nothing failed to load");
});

t.test(
  "the walkthrough's chain: blocks by height and hash, no accounts, names as text",
  { skip: chromiumSkip },
  async (t) => {
    const node: NodeProcess = await startNode(["--threads", "1", "--difficulty", "8"], { t });
    const origin = node.url;
    // Names are anyone's text: the page must show them, never run them.
    const sender = '<img src="x" onerror="window.pwned = 1">';
    const recipient = "<b>Mark</b>";
    t.equal((await request(`${origin}/transactions/new`, { body: { sender, recipient, amount: 5 } })).status, 200);
    t.equal((await request(`${origin}/mine`)).status, 200, "block 2 holds it");

    const unknown = "cd".repeat(32);
    const browser = await launchChromium();
    t.teardown(() => browser.close());
    const { page, problems } = await openExplorer(browser, origin, new Set([`${origin}/blocks/${unknown}`]));
    const answer = page.locator("#search-answer");

    await t.test("a block height searched: its view, its names as text", async (t) => {
      await search(page, "2");
      await page.locator("#block-detail").waitFor();
      t.equal(new URL(page.url()).hash, "#/block/2");
      t.match(await text(page, "#block-detail h3"), /^Block 2: 2 transactions/);
      const cells = await page.locator("#block-detail tbody tr").first().locator("td").allTextContents();
      t.strictSame(cells, [sender, recipient, "5"], "the names exactly as posted");
      t.equal(await page.locator("#view img, #view b, #pending img").count(), 0, "as text: no element made of them");
      t.equal(await page.evaluate("window.pwned"), undefined, "and no script of theirs ran");
      t.equal(await page.locator("#block-detail a").count(), 0, "names link nowhere: this chain keeps no accounts");
    });

    await t.test("a block hash searched: the genesis", async (t) => {
      await search(page, blockHash(GENESIS));
      await page.locator("#block-detail h3", { hasText: "Block 1:" }).waitFor();
      t.equal(new URL(page.url()).hash, `#/block/${blockHash(GENESIS)}`);
      t.equal(await text(page, "#block-confirmations"), "2", "under block 2");
    });

    await t.test("an address or an id: this chain keeps no accounts", async (t) => {
      await search(page, newWallet("toy").address);
      await answer.getByText("keeps no accounts").waitFor();
      t.match(await answer.textContent(), /is an address, but this chain, walkthrough, keeps no accounts/);
      await search(page, unknown);
      await answer.getByText(`No block of this node's chain has the hash ${unknown}`).waitFor();
      t.match(
        await answer.textContent(),
        "keeps no accounts: its transactions are between names, so it has no transaction ids",
      );
      await search(page, "Lea");
      await answer.getByText('Nothing matches "Lea"').waitFor();
      t.pass("a name: nothing to search");
    });

    t.strictSame(problems, [], "no script error, no console error but the 404 searched, nothing failed to load");
  },
);
