import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { specFromFile, type Transaction } from "../src/chain/index.js";
import { type SignedTransaction, transactionId } from "../src/keys/index.js";
import type { AccountBody } from "../src/schemas/index.js";
import { type NodeProcess, request, runCli, startNode } from "./helpers/node-process.js";
import { newWallet, type TestWallet, transfer } from "./helpers/wallets.js";

/**
 * Signed transfers posted together to a real node, whose signatures it
 * verifies in batches (SignatureBatcher): 20 senders each post 10 chained
 * nonces on a connection of their own, without waiting for an answer
 * (HTTP/1.1 pipelining, so each sender's arrive in order), all 20 at once,
 * half through the fast lane and half through Koa. Every one is admitted,
 * its signature verified once by the node's pool in batches of several,
 * then mined, and every balance and nonce is what the transfers make it.
 * Once with each signature backend: libsodium, auto's choice here, and
 * node:crypto (--verifier node:crypto), each logged and on /metrics.
 */

const dir = mkdtempSync(join(tmpdir(), "toychain-admission-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const specFile = join(dir, "accounts.json");
const REWARD = 1_000_000;
// A low hash rate sets the easiest target the chain allows: blocks in a few ms on one thread.
const made = await runCli([
  ...["chain", "new", "--out", specFile, "--block-time", "5"],
  ...["--ledger", "accounts", "--reward", String(REWARD), "--hashrate", "1e3"],
]);
if (made.code !== 0) throw new Error(`chain new failed: ${made.stderr}`);

const spec = specFromFile(JSON.parse(readFileSync(specFile, "utf8")));
const chainId = spec.id;
const prefix = spec.ledger.kind === "accounts" ? spec.ledger.prefix : "";

const funder = newWallet(prefix);
const payee = newWallet(prefix);
const senders: TestWallet[] = Array.from({ length: 20 }, () => newWallet(prefix));
const NONCES = 10;
const FUNDS = 10_000;
const ADDED = "Transaction added to the list of current transactions and will be mined into the block at index";

/** An answer read off a connection: its status and JSON body. */
interface Answer {
  status: number;
  body: { message: string; id?: string };
}

/**
 * Posts `transfers` on one connection, each written after the one before
 * it and none waiting for an answer, the last closing the connection; the
 * answers come back in the same order. `contentType` chooses the lane:
 * `application/json` takes the fast lane, any other JSON type goes to Koa.
 */
async function pipelined(node: NodeProcess, transfers: readonly Transaction[], contentType: string): Promise<Answer[]> {
  const socket = connect(node.port, "127.0.0.1");
  socket.write(
    transfers
      .map((tx, i) => {
        const body = JSON.stringify(tx);
        const close = i === transfers.length - 1 ? "Connection: close\r\n" : "";
        return `POST /transactions/new HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${close}\r\n${body}`;
      })
      .join(""),
  );
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  let text = Buffer.concat(chunks).toString("utf8");
  const answers: Answer[] = [];
  while (text.length > 0) {
    const end = text.indexOf("\r\n\r\n");
    const head = text.slice(0, end);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]);
    answers.push({ status: Number(head.split(" ")[1]), body: JSON.parse(text.slice(end + 4, end + 4 + length)) });
    text = text.slice(end + 4 + length);
  }
  return answers;
}

/** What the node's signature pool verified, on its workers or on the main thread: batches and signatures (GET /metrics). */
async function signatureCounts(node: NodeProcess): Promise<{ batches: number; signatures: number }> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const sum = (name: string) =>
    [...text.matchAll(new RegExp(`^${name}\\{on="\\w+"\\} (\\d+)$`, "gm"))].reduce(
      (total, [, n]) => total + Number(n),
      0,
    );
  return { batches: sum("toychain_signature_batches_total"), signatures: sum("toychain_signatures_total") };
}

const accountOf = async (node: NodeProcess, address: string): Promise<AccountBody> =>
  (await request<AccountBody>(`${node.url}/accounts/${address}`)).body;
const mine = async (node: NodeProcess): Promise<{ index: number; transactions: Transaction[] }> => {
  const { status, body } = await request<{ index: number; transactions: Transaction[] }>(`${node.url}/mine`, {
    timeoutMs: 60_000,
  });
  if (status !== 200) throw new Error(`GET /mine answered ${status}: ${JSON.stringify(body)}`);
  return body;
};

const BACKENDS = [
  { backend: "libsodium", flags: [] },
  { backend: "node:crypto", flags: ["--verifier", "node:crypto"] },
];

for (const { backend, flags } of BACKENDS) {
  t.test(
    `${backend}: 200 signed transfers from 20 senders, chained and posted together, are all admitted and mined`,
    async (t) => {
      const node = await startNode(
        ["--chain", specFile, "--threads", "1", "--reward-address", funder.address, ...flags],
        { t },
      );
      t.match(
        node.logs.filter((line) => line.msg.startsWith("verifying signatures with")),
        [{ level: 30, msg: `verifying signatures with ${backend}` }],
        "the node says which backend verifies",
      );
      t.match(
        await (await fetch(`${node.url}/metrics`)).text(),
        new RegExp(`^toychain_signature_backend\\{backend="${backend}"\\} 1$`, "m"),
        "and so does /metrics",
      );
      await mine(node);

      const funding = senders.map((sender, i) =>
        transfer(chainId, funder, sender.address, { amount: FUNDS, nonce: i + 1 }),
      );
      const funded = await pipelined(node, funding, "application/json");
      t.same(
        funded.map((answer) => answer.status),
        funding.map(() => 200),
        "the funder's 20 chained transfers, posted without waiting, are all taken",
      );
      t.equal((await mine(node)).transactions.length, 21, "and mined: 20 transfers and the reward");

      // Sender i's nonce k pays k, with a fee of 1.
      const chains = senders.map((sender) =>
        Array.from({ length: NONCES }, (_, k) =>
          transfer(chainId, sender, payee.address, { amount: k + 1, fee: 1, nonce: k + 1 }),
        ),
      );
      const answers = await Promise.all(
        chains.map((transfers, i) =>
          pipelined(node, transfers, i % 2 === 0 ? "application/json" : "application/json; charset=UTF-8"),
        ),
      );
      for (const [i, chain] of chains.entries()) {
        t.same(
          answers[i],
          chain.map((tx) => ({
            status: 200,
            body: { message: `${ADDED} 4`, id: transactionId(chainId, tx as SignedTransaction) },
          })),
          `sender ${i}'s ${NONCES} transfers are all taken, each with its id`,
        );
      }
      t.equal(
        (await request<{ length: number }>(`${node.url}/transactions/pending`)).body.length,
        senders.length * NONCES,
        "all 200 are pending",
      );
      const verified = await signatureCounts(node);
      t.equal(verified.signatures, funding.length + senders.length * NONCES, "the pool verified each signature once");
      t.ok(
        verified.batches < verified.signatures,
        `in batches: ${verified.batches} for ${verified.signatures} signatures`,
      );

      const block = await mine(node);
      t.equal(block.index, 4);
      t.equal(block.transactions.length, senders.length * NONCES + 1, "one block holds the 200, and the reward");
      const spent = (NONCES * (NONCES + 1)) / 2;
      for (const [i, sender] of senders.entries()) {
        t.same(
          await accountOf(node, sender.address),
          {
            address: sender.address,
            balance: FUNDS - spent - NONCES,
            nonce: NONCES,
            next_nonce: NONCES + 1,
            pending: { from: [], to: [] },
          },
          `sender ${i}: its funds less 1 + 2 + ... + 10 and 10 fees, its nonce 10`,
        );
      }
      t.same(
        await accountOf(node, payee.address),
        {
          address: payee.address,
          balance: senders.length * spent,
          nonce: 0,
          next_nonce: 1,
          pending: { from: [], to: [] },
        },
        "the payee got every amount",
      );
      t.same(
        await accountOf(node, funder.address),
        {
          address: funder.address,
          balance: 3 * REWARD - senders.length * FUNDS + senders.length * NONCES,
          nonce: senders.length,
          next_nonce: senders.length + 1,
          pending: { from: [], to: [] },
        },
        "the funder: three rewards and the 200 fees, less what it sent",
      );
    },
  );
}
