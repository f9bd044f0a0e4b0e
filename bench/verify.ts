/**
 * npm run bench:verify -- [--signatures 4000] [--senders 100] [--rounds 5] [--json bench/results/verify.json]
 *
 * The signature backends side by side, in one run, so that a shared
 * machine's load weighs on each alike: transfers' signatures (messages of a
 * transfer's signing size, senders signing in turn), verified on one thread
 * and on every core by node:crypto alone (raw: no checks, KeyObjects made
 * beforehand), by the node:crypto backend (the pinned rule: checks, then
 * node:crypto) and by the libsodium backend (the pinned rule in C, libsodium's
 * equation). Each round takes the three in another order; the ratios are
 * each round's, their median last.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { generateKeyPair, signer } from "../src/keys/index.js";
import { libsodiumBackend, SignatureBatch, type SignatureJob } from "../src/signatures/index.js";
import { describeCheckout } from "./lib/commit-build.js";
import { type VerifyRateKind, verifyRate, verifyRateOn } from "./lib/raw-verify.js";
import { table } from "./lib/table.js";

const { values } = parseArgs({
  options: {
    signatures: { type: "string", default: "4000" },
    senders: { type: "string", default: "100" },
    rounds: { type: "string", default: "5" },
    json: { type: "string", default: "bench/results/verify.json" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "Usage: npm run bench:verify -- [--signatures 4000] [--senders 100] [--rounds 5] [--json bench/results/verify.json]",
  );
  process.exit(0);
}
const count = Number(values.signatures);
const senderCount = Number(values.senders);
const rounds = Number(values.rounds);
if (![count, senderCount, rounds].every((n) => Number.isInteger(n) && n > 0)) {
  console.error("--signatures, --senders and --rounds take positive integers");
  process.exit(2);
}
const libsodium = libsodiumBackend();
if (typeof libsodium === "string") {
  console.error(`libsodium cannot verify here, nothing to compare: ${libsodium}`);
  process.exit(1);
}

/** A transfer's signing message is about 190 bytes (chain id, addresses, amounts, nonce). */
const MESSAGE_BYTES = 190;
const senders = Array.from({ length: senderCount }, () => {
  const pair = generateKeyPair();
  return { publicKey: pair.publicKey, sign: signer(pair.secretKey) };
});
const jobs: SignatureJob[] = Array.from({ length: count }, (_, i) => {
  const sender = senders[i % senders.length] as (typeof senders)[number];
  const message = Buffer.alloc(MESSAGE_BYTES, `transfer ${i} `);
  return { publicKey: sender.publicKey, message, signature: sender.sign(message) };
});
const batch = SignatureBatch.pack(jobs);
const threads = availableParallelism();
const KINDS: readonly VerifyRateKind[] = ["raw", "node:crypto", "libsodium"];

// Warm: each kind's code compiled and its library open.
for (const kind of KINDS) verifyRate(kind, batch);

type Rates = Record<VerifyRateKind, { one: number; all: number }>;
const results: Rates[] = [];
for (let round = 0; round < rounds; round++) {
  process.stderr.write(`verify: round ${round + 1} of ${rounds}\n`);
  const order = KINDS.map((_, i) => KINDS[(i + round) % KINDS.length] as VerifyRateKind);
  const rates = {} as Rates;
  for (const kind of order)
    rates[kind] = { one: verifyRate(kind, batch), all: await verifyRateOn(kind, threads, batch) };
  results.push(rates);
}

const median = (list: readonly number[]): number => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const ratio = (r: Rates, on: "one" | "all") => r.libsodium[on] / r["node:crypto"][on];
const row = (label: string, r: Rates, oneRatio: number, allRatio: number) => [
  label,
  ...KINDS.flatMap((kind) => [r[kind].one.toFixed(0), r[kind].all.toFixed(0)]),
  `${oneRatio.toFixed(2)}x`,
  `${allRatio.toFixed(2)}x`,
];
const medianRates = Object.fromEntries(
  KINDS.map((kind) => [
    kind,
    { one: median(results.map((r) => r[kind].one)), all: median(results.map((r) => r[kind].all)) },
  ]),
) as Rates;
const medianRatios = {
  one: median(results.map((r) => ratio(r, "one"))),
  all: median(results.map((r) => ratio(r, "all"))),
};
const machine = { cpu: cpus()[0]?.model ?? "unknown", cores: threads, node: process.version };
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; this build: ${describeCheckout()}\n` +
    `${count} signatures by ${senderCount} senders, ${MESSAGE_BYTES}-byte messages; verifies a second, 1 thread and ${threads} at once; ratio: libsodium's over node:crypto's\n`,
);
console.log(
  table(
    [
      "round",
      "raw 1",
      `raw ${threads}`,
      "node:crypto 1",
      `node:crypto ${threads}`,
      "libsodium 1",
      `libsodium ${threads}`,
      "ratio, 1",
      `ratio, ${threads}`,
    ],
    [
      ...results.map((r, i) => row(String(i + 1), r, ratio(r, "one"), ratio(r, "all"))),
      row("median", medianRates, medianRatios.one, medianRatios.all),
    ],
  ),
);
writeFileSync(
  values.json,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine,
      checkout: describeCheckout(),
      signatures: count,
      senders: senderCount,
      messageBytes: MESSAGE_BYTES,
      threads,
      rounds: results,
      median: { rates: medianRates, libsodiumOverNodeCrypto: medianRatios },
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`written to ${values.json}\n`);
