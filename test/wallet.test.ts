import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { type NodeProcess, request, runCli, startNode } from "./helpers/node-process.js";

/**
 * `toychain wallet` as a person runs it, against real nodes: a key file
 * made, its address, coins mined to it, a balance, a transfer sent and both
 * balances after; and the ways it fails, each one line on stderr with its
 * exit code: a wrong passphrase, a mistyped --to refused before anything is
 * sent, no passphrase and no terminal, a node unreachable, a node's refusal,
 * a key of another chain, a chain without accounts. Every command runs with
 * no controlling terminal, its passphrase in TOYCHAIN_PASSPHRASE.
 */

const dir = mkdtempSync(join(tmpdir(), "toychain-wallet-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const specFile = join(dir, "coins.json");
const made = await runCli([
  ...["chain", "new", "--out", specFile, "--block-time", "5"],
  ...["--ledger", "accounts", "--reward", "1000", "--hashrate", "1e3"],
]);
if (made.code !== 0) throw new Error(`chain new failed: ${made.stderr}`);

const { TOYCHAIN_PASSPHRASE: _unset, ...environment } = process.env;
const PASSPHRASES = { lea: "lea's long passphrase", mark: "mark's own passphrase" };
const file = (name: string) => join(dir, `${name}.json`);

/** `toychain wallet ...args`, with this passphrase in the environment (none: unset). */
const wallet = (args: string[], passphrase?: string) =>
  runCli(["wallet", ...args], 60_000, {
    env: passphrase === undefined ? environment : { ...environment, TOYCHAIN_PASSPHRASE: passphrase },
    noTerminal: true,
  });

const mine = async (node: NodeProcess): Promise<void> => {
  const { status, body } = await request(`${node.url}/mine`, { timeoutMs: 60_000 });
  if (status !== 200) throw new Error(`GET /mine answered ${status}: ${JSON.stringify(body)}`);
};

const balanceOf = (address: string, balance: number, nonce: number, sending: string, receiving: string) =>
  [
    `address    ${address}`,
    `balance    ${balance}`,
    `nonce      ${nonce}`,
    `sending    ${sending}`,
    `receiving  ${receiving}`,
    "",
  ].join("\n");

/** The node serves the later tests too: it stops when the file's tests end. */
const root = t;
let lea = "";
let mark = "";
let node: NodeProcess;

t.test("new, address: a key file made, never overwritten, and its address", async (t) => {
  const created = await wallet(["new", "--file", file("lea")], PASSPHRASES.lea);
  t.equal(created.code, 0);
  t.match(created.stdout, /^toy1[02-9ac-hj-np-z]{58}\n$/, "prints the new address");
  lea = created.stdout.trim();
  t.equal(
    created.stderr,
    `wrote ${file("lea")}: keep it and its passphrase, without which its coins cannot be spent\n`,
  );
  t.equal(statSync(file("lea")).mode & 0o777, 0o600, "readable by its owner only");

  const again = await wallet(["new", "--file", file("lea")], PASSPHRASES.lea);
  t.equal(again.code, 1, "a second new on the same file: exit 1");
  t.equal(again.stderr, `toychain: ${file("lea")} exists: a key file is never overwritten; give another --file\n`);

  const address = await wallet(["address", "--file", file("lea")]);
  t.equal(address.code, 0);
  t.equal(address.stdout, `${lea}\n`, "address: the same, with no passphrase");

  mark = (await wallet(["new", "--file", file("mark")], PASSPHRASES.mark)).stdout.trim();
  t.not(mark, lea, "another key, another address");
});

t.test("mine to the key, then balance, send, and both balances", async (t) => {
  node = await startNode(["--chain", specFile, "--threads", "1", "--reward-address", lea], { t: root });
  for (let i = 0; i < 3; i++) await mine(node);
  const nodeFlag = ["--node", node.url];

  const before = await wallet(["balance", "--file", file("lea"), ...nodeFlag]);
  t.equal(before.code, 0);
  t.equal(before.stdout, balanceOf(lea, 3000, 0, "nothing pending", "nothing pending"), "three blocks' rewards");

  const sent = await wallet(
    ["send", "--file", file("lea"), "--to", mark, "--amount", "250", "--fee", "2", ...nodeFlag],
    PASSPHRASES.lea,
  );
  t.equal(sent.code, 0, sent.stderr);
  const [, id = ""] = /^id {6}([0-9a-f]{64})$/m.exec(sent.stdout) ?? [];
  t.equal(sent.stdout, `sent 250 to ${mark}, fee 2, nonce 1\nid      ${id}\nstatus  pending\n`);
  t.equal(sent.stderr, "");
  const status = await request<{ status: string; transaction: { sender: string } }>(`${node.url}/transactions/${id}`);
  t.equal(status.body.status, "pending", "the id is the node's");
  t.equal(status.body.transaction.sender, lea);

  t.equal(
    (await wallet(["balance", "--file", file("lea"), ...nodeFlag])).stdout,
    balanceOf(lea, 3000, 0, "1 pending transfer, 252 with fees", "nothing pending"),
    "the sender: pending",
  );
  t.equal(
    (await wallet(["balance", "--file", file("mark"), ...nodeFlag])).stdout,
    balanceOf(mark, 0, 0, "nothing pending", "1 pending transfer, 250"),
    "the payee: pending",
  );

  const next = await wallet(
    ["send", "--file", file("lea"), "--to", mark, "--amount", "10", ...nodeFlag],
    PASSPHRASES.lea,
  );
  t.match(next.stdout, `sent 10 to ${mark}, fee 0, nonce 2\n`, "the next nonce counts the pending transfer");

  await mine(node);
  const confirmed = await request<{ status: string; block: number }>(`${node.url}/transactions/${id}`);
  t.same([confirmed.body.status, confirmed.body.block], ["confirmed", 5]);
  t.equal(
    (await wallet(["balance", "--file", file("lea"), ...nodeFlag])).stdout,
    balanceOf(lea, 4000 - 250 - 10, 2, "nothing pending", "nothing pending"),
    "the sender (and miner, who earned the fee back): 4000 - 260",
  );
  t.equal(
    (await wallet(["balance", "--file", file("mark"), ...nodeFlag])).stdout,
    balanceOf(mark, 260, 0, "nothing pending", "nothing pending"),
    "the payee: 260",
  );

  const back = await wallet(
    ["send", "--file", file("mark"), "--to", lea, "--amount", "60", ...nodeFlag],
    PASSPHRASES.mark,
  );
  t.equal(back.code, 0, "the payee spends what it got");
  t.match(back.stdout, `sent 60 to ${lea}, fee 0, nonce 1\n`);
});

t.test("failures: one line on stderr, exit 1 (or 2 for what the command line got wrong)", async (t) => {
  const nodeFlag = ["--node", node.url];
  const account = async () => (await request(`${node.url}/accounts/${lea}`)).body;
  const before = await account();
  const send = (args: string[], passphrase = PASSPHRASES.lea) =>
    wallet(["send", "--file", file("lea"), ...args], passphrase);

  const wrong = await send(["--to", mark, "--amount", "5", ...nodeFlag], "not lea's passphrase");
  t.equal(wrong.code, 1, "a wrong passphrase: exit 1");
  t.equal(
    wrong.stderr,
    `toychain: wrong passphrase: it does not open the key file of ${lea} (or the file has been altered)\n`,
  );
  t.equal(wrong.stdout, "");

  const none = await wallet(["send", "--file", file("lea"), "--to", mark, "--amount", "5", ...nodeFlag]);
  t.equal(none.code, 1, "no passphrase and no terminal: exit 1");
  t.equal(
    none.stderr,
    "toychain: no passphrase: there is no terminal to ask for it on; set TOYCHAIN_PASSPHRASE in the environment\n",
  );

  // A node that counts what reaches it: a mistyped address must not.
  let asked = 0;
  const counter = createServer((_, res) => {
    asked++;
    res.end("{}");
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => counter.once("listening", resolve));
  t.teardown(() => counter.close());
  const counterUrl = `http://127.0.0.1:${(counter.address() as AddressInfo).port}`;
  const last = mark.at(-1);
  const mistyped = `${mark.slice(0, -1)}${last === "q" ? "p" : "q"}`;
  const typo = await send(["--to", mistyped, "--amount", "5", "--node", counterUrl]);
  t.equal(typo.code, 2, "a mistyped --to: exit 2");
  t.equal(
    typo.stderr,
    `toychain: --to "${mistyped}" is not a toy address: its checksum fails; nothing was sent\n` +
      'Run "toychain wallet --help" to see the commands.\n',
  );
  t.equal(asked, 0, "the node was not even asked");

  const overspend = await send(["--to", mark, "--amount", "1000000", ...nodeFlag]);
  t.equal(overspend.code, 1, "the node's refusal: exit 1");
  t.match(
    overspend.stderr,
    new RegExp(
      `^toychain: the node at ${node.url} answered POST /transactions/new with 422: ${lea} holds \\d+, and its pending transfers with this one need 1000000\\n$`,
    ),
  );

  counter.close();
  const gone = await wallet(["balance", "--file", file("lea"), "--node", counterUrl]);
  t.equal(gone.code, 1, "a node unreachable: exit 1");
  t.equal(
    gone.stderr,
    `toychain: cannot reach the node at ${counterUrl}: nothing listens there (connection refused)\n`,
  );

  t.same(await account(), before, "none of them changed the account");

  const other = await wallet(["new", "--file", file("other"), "--prefix", "abc"], "abc passphrase");
  t.equal(other.code, 0);
  const foreign = await wallet(["balance", "--file", file("other"), ...nodeFlag]);
  t.equal(foreign.code, 1, "a key of another chain: exit 1");
  t.equal(
    foreign.stderr,
    `toychain: the key file ${file("other")} is for abc1... addresses (${other.stdout.trim()}), but the node at ${node.url} is on the chain coins, ` +
      'whose addresses start with toy1: make a key for it with "toychain wallet new --prefix toy"\n',
  );

  const names = await startNode(["--difficulty", "8", "--threads", "1"], { t });
  const walkthrough = await wallet(["balance", "--file", file("lea"), "--node", names.url]);
  t.equal(walkthrough.code, 1, "a chain without accounts: exit 1");
  t.equal(
    walkthrough.stderr,
    `toychain: the node at ${names.url} is on the chain walkthrough, which keeps no accounts (its ledger is names): ` +
      'a wallet needs a chain made with "toychain chain new --ledger accounts"\n',
  );
});

t.test("--help, and what the command line gets wrong: exit 2 naming it", async (t) => {
  const help = await wallet(["--help"]);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: toychain wallet new --file <file> \[--prefix <p>\]\n/);
  for (const command of ["new", "address", "balance", "send"]) {
    const run = await wallet([command, "--help"]);
    t.equal(run.code, 0, `wallet ${command} --help: exit 0`);
    t.match(run.stdout, new RegExp(`^Usage: toychain wallet ${command} --file <file>`), `its own usage`);
  }
  const cases: [string[], string][] = [
    [["send", "--to", mark, "--amount", "5"], "wallet send needs --file"],
    [
      ["send", "--file", file("lea"), "--to", mark, "--amount", "1.5"],
      '--amount must be a whole number from 1 to 2^53-1, not "1.5"',
    ],
    [["send", "--file", file("lea"), "--to", mark, "--amount", "5", "--fee", "-1"], "--fee"],
    [["balance", "--file", file("lea"), "--node", "ftp://example.org:21"], "only http and https are supported"],
    [["new", "--file", file("x"), "--prefix", "Toy"], '--prefix must be 1 to 16 lowercase letters, not "Toy"'],
    [["address", "--file", file("lea"), "--passphrase", "x"], "--passphrase"],
    [["move"], 'unknown wallet command "move"'],
  ];
  const runs = await Promise.all(cases.map(([args]) => wallet(args, PASSPHRASES.lea)));
  cases.forEach(([args, message], i) => {
    const run = runs[i] as Awaited<ReturnType<typeof wallet>>;
    t.equal(run.code, 2, `wallet ${args.join(" ")}: exit 2`);
    t.match(run.stderr, message, `it says: ${message}`);
  });
});
