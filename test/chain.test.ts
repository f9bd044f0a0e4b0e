import t from "tap";
import {
  type Block,
  type BlockTemplate,
  blockHash,
  Chain,
  canonicalJson,
  checkExtension,
  checkSegment,
  compareChains,
  FutureBlockError,
  GENESIS,
  InvalidChainError,
  isBetter,
  isReward,
  leadingZeroBits,
  MAX_FUTURE_SECONDS,
  medianTime,
  meetsDifficulty,
  type NetworkRules,
  nextTimestamp,
  powHeader,
  proofHash,
  rewardFor,
  StaleBlockError,
  sha256Hex,
  type Transaction,
  validateChain,
  WorkIndex,
  walkthroughSpec,
} from "../src/chain/index.js";
import { countConfirmed, pendingAfterReorg, transactionKey } from "../src/mempool/index.js";

/*
 * Vectors computed independently of the code, with coreutils, while writing this test:
 *
 *   printf '%s' '{"index":1,"previous_hash":"1","proof":100,"timestamp":1591985797.9658592,"transactions":[]}' \
 *     | sha256sum
 *   -> GENESIS_HASH
 *
 *   printf '%s' "$TEMPLATE_JSON" | sha256sum                          -> H
 *   printf '%s%s' "$H" 106 | sha256sum                                -> PROOF_106_HASH
 *   printf '%s%s' "$H" 105 | sha256sum                                -> PROOF_105_HASH
 *   printf '%s%s' "$H" 0 | sha256sum                                  -> PROOF_0_HASH
 *   printf '%s' "$BLOCK_JSON" | sha256sum                             -> BLOCK_HASH
 *
 * 106 is the smallest proof whose hash has 8 or more leading zero bits (found
 * with a Python hashlib loop over 0, 1, 2, ... and confirmed with the printf
 * line above); its hash starts with 0000f, exactly 16 zero bits.
 */
const GENESIS_JSON = '{"index":1,"previous_hash":"1","proof":100,"timestamp":1591985797.9658592,"transactions":[]}';
const GENESIS_HASH = "3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7";
const VECTOR_NODE_ID = "65d83305a11e458abb96bdfb2256b365";
const TEMPLATE_JSON =
  '{"index":2,"previous_hash":"3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7",' +
  '"timestamp":1591985867.153815,"transactions":[{"amount":10,"recipient":"Mark","sender":"Lea"},' +
  '{"amount":5,"recipient":"Mark","sender":"Lea"},{"amount":1,"recipient":"65d83305a11e458abb96bdfb2256b365","sender":"0"}]}';
const BLOCK_JSON =
  '{"index":2,"previous_hash":"3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7","proof":106,' +
  '"timestamp":1591985867.153815,"transactions":[{"amount":10,"recipient":"Mark","sender":"Lea"},' +
  '{"amount":5,"recipient":"Mark","sender":"Lea"},{"amount":1,"recipient":"65d83305a11e458abb96bdfb2256b365","sender":"0"}]}';
const H = "4894a8b230a301fe15e6e3e2dd508e34155e454b58a61cce1b291dc1c741b30c";
const PROOF_106_HASH = "0000fd64140a83e6e6a9f786a7843e77f0ba2f7ad635a8d9e06eeaa187d12c78";
const PROOF_105_HASH = "3d6bef542c36bd4efdfb4639e0cc32423f543667cbe5860cc998d627cc27198e";
const PROOF_0_HASH = "dbd43c07c0264b4b85a3083c55c3ddf9ac4037e3341836263b0059989eaefecb";
const BLOCK_HASH = "c4a6e270b630e04170bafea46baddb2b75a4dfe9795662f4716c92887f381310";

const LEA_10: Transaction = { sender: "Lea", recipient: "Mark", amount: 10 };
const LEA_5: Transaction = { sender: "Lea", recipient: "Mark", amount: 5 };

/** The walkthrough's block 2, with keys in the walkthrough's (unsorted) order. */
const VECTOR_TEMPLATE: BlockTemplate = {
  index: 2,
  timestamp: 1591985867.153815,
  transactions: [LEA_10, LEA_5, { sender: "0", recipient: VECTOR_NODE_ID, amount: 1 }],
  previous_hash: GENESIS_HASH,
};
const VECTOR_BLOCK: Block = { ...VECTOR_TEMPLATE, proof: 106 };

const DIFFICULTY = 12;
const RULES: NetworkRules = walkthroughSpec(DIFFICULTY);
const NODE_ID = "0123456789abcdef0123456789abcdef";
const OTHER_ID = "fedcba9876543210fedcba9876543210";

/** Brute-forces the smallest proof for a template, with the reference check. */
function mine(template: BlockTemplate, difficulty = DIFFICULTY): Block {
  const header = powHeader(template);
  for (let proof = 0; ; proof++) {
    if (meetsDifficulty(header, proof, difficulty)) return { ...template, proof };
  }
}

/** A proof that does NOT meet the difficulty for this template. */
function badProof(template: BlockTemplate, difficulty = DIFFICULTY): number {
  const header = powHeader(template);
  let proof = 0;
  while (meetsDifficulty(header, proof, difficulty)) proof++;
  return proof;
}

/** A mined block on `previous`, with fixed timestamps so every run is identical; overrides apply before mining. */
function forge(previous: Block, overrides: Partial<BlockTemplate> = {}, miner = NODE_ID): Block {
  return mine({
    index: previous.index + 1,
    timestamp: 1_700_000_000.5 + previous.index,
    transactions: [rewardFor(miner)],
    previous_hash: blockHash(previous),
    ...overrides,
  });
}

/** A valid chain of `length` blocks whose blocks pay `txs(i)` before the reward. */
function buildChain(length: number, miner = NODE_ID, txs: (index: number) => Transaction[] = () => []): Block[] {
  const blocks: Block[] = [GENESIS];
  while (blocks.length < length) {
    const previous = blocks[blocks.length - 1] as Block;
    const index = previous.index + 1;
    blocks.push(forge(previous, { transactions: [...txs(index), rewardFor(miner)] }, miner));
  }
  return blocks;
}

/** The type of the `t` a subtest receives. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

function expectInvalid(
  t: Test,
  blocks: readonly Block[],
  blockIndex: number | undefined,
  message: RegExp,
  rules: NetworkRules = RULES,
): void {
  try {
    validateChain(blocks, rules);
    t.fail("validateChain accepted an invalid chain");
  } catch (error) {
    t.ok(error instanceof InvalidChainError, "throws an InvalidChainError");
    const e = error as InvalidChainError;
    t.equal(e.blockIndex, blockIndex, "names the offending block");
    if (blockIndex !== undefined) t.match(e.message, new RegExp(`^block ${blockIndex}: `), "message names the block");
    t.match(e.message, message);
  }
}

const CHAIN = buildChain(4, NODE_ID, (index) => [{ sender: `payer${index}`, recipient: "shop", amount: index }]);
const B2 = CHAIN[1] as Block;
const B3 = CHAIN[2] as Block;
const B4 = CHAIN[3] as Block;

t.test("canonical JSON writes numbers and strings as RFC 8785 does (its section 3.2.2 examples)", async (t) => {
  const block = (amount: number, sender: string): Block => ({
    index: 2,
    timestamp: 1e21,
    transactions: [{ sender, recipient: "r", amount }],
    proof: 0,
    previous_hash: "p",
  });
  const text = (amount: string, sender: string, timestamp = "1e+21") =>
    `{"index":2,"previous_hash":"p","proof":0,"timestamp":${timestamp},"transactions":[{"amount":${amount},"recipient":"r","sender":${sender}}]}`;
  t.equal(canonicalJson(block(1e-7, "a")), text("1e-7", '"a"'), "exponents as ECMAScript writes them");
  t.equal(canonicalJson(block(333333333.3333333, "a")), text("333333333.3333333", '"a"'));
  t.equal(canonicalJson(block(9007199254740991, "a")), text("9007199254740991", '"a"'));
  t.equal(canonicalJson(block(0.000001, "a")), text("0.000001", '"a"'));
  t.equal(canonicalJson({ ...block(1, "a"), timestamp: -0 }), text("1", '"a"', "0"), "-0 is 0");
  t.equal(
    canonicalJson(block(1, "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/")),
    text("1", String.raw`"€$\u000f\nA'B\"\\\\\"/"`),
    "control characters as lowercase escapes, the rest as is",
  );
  t.equal(canonicalJson(block(1, "\u{1F600}é")), text("1", '"\u{1F600}é"'), "no escape beyond the BMP");
});

t.test("independent hash vectors", async (t) => {
  t.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "FIPS 180-2 'abc'");
  t.equal(canonicalJson(GENESIS), GENESIS_JSON, "genesis canonical JSON: sorted keys, no whitespace");
  t.equal(blockHash(GENESIS), GENESIS_HASH, "genesis hash");
  t.equal(canonicalJson(VECTOR_TEMPLATE), TEMPLATE_JSON, "template canonical JSON sorts nested keys too");
  t.equal(powHeader(VECTOR_TEMPLATE), H, "H is the hash of the block without its proof");
  t.equal(powHeader(VECTOR_BLOCK), H, "H ignores the proof field of a full block");
  t.equal(canonicalJson(VECTOR_BLOCK), BLOCK_JSON);
  t.equal(blockHash(VECTOR_BLOCK), BLOCK_HASH, "block hash covers the proof");

  t.equal(proofHash(H, 106), PROOF_106_HASH);
  t.equal(proofHash(H, 105), PROOF_105_HASH);
  t.equal(proofHash(H, 0), PROOF_0_HASH);
  t.equal(leadingZeroBits(PROOF_106_HASH), 16, "0000f... has exactly 16 zero bits");
  t.equal(leadingZeroBits(PROOF_105_HASH), 2, "3d... has 2 zero bits");
  t.equal(leadingZeroBits(PROOF_0_HASH), 0, "d... has none");
  t.ok(meetsDifficulty(H, 106, 16));
  t.notOk(meetsDifficulty(H, 106, 17));
  t.ok(meetsDifficulty(H, 105, 2));
  t.notOk(meetsDifficulty(H, 105, 3));
  t.ok(meetsDifficulty(H, 0, 0), "difficulty 0 accepts anything");
  t.notOk(meetsDifficulty(H, 0, 1));
  const below = Array.from({ length: 106 }, (_, proof) => proof).filter((proof) => meetsDifficulty(H, proof, 8));
  t.same(below, [], "no proof below 106 reaches 8 bits");
  t.same(mine(VECTOR_TEMPLATE, 16), VECTOR_BLOCK, "the brute force finds the vector's proof");

  t.same(validateChain([GENESIS, VECTOR_BLOCK], walkthroughSpec(16)), [GENESIS_HASH, BLOCK_HASH]);
  expectInvalid(t, [GENESIS, VECTOR_BLOCK], 2, /proof 106 does not reach 17 leading zero bits/, walkthroughSpec(17));
});

t.test("leadingZeroBits counts bits across nibbles", async (t) => {
  t.equal(leadingZeroBits("ffff"), 0);
  t.equal(leadingZeroBits("8000"), 0);
  t.equal(leadingZeroBits("7fff"), 1);
  t.equal(leadingZeroBits("4000"), 1);
  t.equal(leadingZeroBits("3fff"), 2);
  t.equal(leadingZeroBits("1fff"), 3);
  t.equal(leadingZeroBits("0fff"), 4);
  t.equal(leadingZeroBits("01ff"), 7);
  t.equal(leadingZeroBits("0000"), 16);
  t.equal(leadingZeroBits("0".repeat(64)), 256);
  t.equal(leadingZeroBits(`${"0".repeat(8)}1${"f".repeat(55)}`), 35);
});

t.test("validateChain accepts valid chains and returns their hashes", async (t) => {
  t.same(validateChain([GENESIS], RULES), [GENESIS_HASH], "the genesis alone");
  t.same(validateChain(CHAIN, RULES), CHAIN.map(blockHash));
  t.equal(CHAIN.length, 4);
  // A structurally equal copy (as a peer would send it) passes too.
  t.same(validateChain(JSON.parse(JSON.stringify(CHAIN)) as Block[], RULES), CHAIN.map(blockHash));
});

t.test("validateChain rejects, naming the first offending block", async (t) => {
  t.test("empty chain", async (t) => expectInvalid(t, [], undefined, /the chain is empty/));

  t.test("wrong genesis", async (t) => {
    const genesis = { ...GENESIS, timestamp: GENESIS.timestamp + 1 };
    expectInvalid(t, [genesis], 1, /genesis block differs/);
    expectInvalid(t, [{ ...GENESIS, proof: 101 }, B2], 1, /genesis block differs/);
    expectInvalid(t, [B2, B3], 2, /genesis block differs/, RULES);
  });

  t.test("broken previous_hash link (block mined with a valid proof)", async (t) => {
    const linkedToGenesis = forge(B2, { previous_hash: GENESIS_HASH });
    expectInvalid(t, [GENESIS, B2, linkedToGenesis], 3, /previous_hash 3359bdb5\w+ is not the hash of block 2/);
    const linkedToNothing = forge(B3, { previous_hash: "f".repeat(64) });
    expectInvalid(t, [GENESIS, B2, B3, linkedToNothing], 4, /is not the hash of block 3/);
  });

  t.test("wrong index sequence", async (t) => {
    expectInvalid(t, [GENESIS, B2, forge(B2, { index: 4 })], 4, /index 4 does not follow 2/);
    expectInvalid(t, [GENESIS, B2, forge(B2, { index: 2 })], 2, /index 2 does not follow 2/);
    expectInvalid(t, [GENESIS, B2, B2], 2, /index 2 does not follow 2/, RULES);
    expectInvalid(t, [GENESIS, B3], 3, /index 3 does not follow 1/);
  });

  t.test("a tampered transaction invalidates the proof", async (t) => {
    const first = B3.transactions[0] as Transaction;
    const tampered: Block = {
      ...B3,
      transactions: [{ ...first, amount: first.amount + 1 }, ...B3.transactions.slice(1)],
    };
    t.not(powHeader(tampered), powHeader(B3));
    expectInvalid(t, [GENESIS, B2, tampered], 3, new RegExp(`proof ${B3.proof} does not reach 12 leading zero bits`));
    const redirected: Block = { ...B3, transactions: [{ ...first, recipient: "thief" }, ...B3.transactions.slice(1)] };
    expectInvalid(t, [GENESIS, B2, redirected], 3, /does not reach 12 leading zero bits/);
    // Tampering with an early block is reported there, not at the broken link after it.
    const early: Block = {
      ...B2,
      transactions: [{ ...(B2.transactions[0] as Transaction), amount: 1000 }, ...B2.transactions.slice(1)],
    };
    expectInvalid(t, [GENESIS, early, B3, B4], 2, /does not reach/);
  });

  t.test("a tampered timestamp invalidates the proof", async (t) => {
    expectInvalid(t, [GENESIS, B2, { ...B3, timestamp: B3.timestamp + 1 }], 3, /does not reach 12 leading zero bits/);
    expectInvalid(t, [GENESIS, B2, { ...B3, timestamp: B3.timestamp + 0.001 }], 3, /does not reach/);
  });

  t.test("a changed proof fails", async (t) => {
    const proof = badProof(B3);
    expectInvalid(t, [GENESIS, B2, { ...B3, proof }], 3, new RegExp(`proof ${proof} does not reach`));
  });

  t.test("missing reward", async (t) => {
    expectInvalid(t, [GENESIS, forge(GENESIS, { transactions: [] })], 2, /last transaction must be the mining reward/);
    expectInvalid(
      t,
      [GENESIS, forge(GENESIS, { transactions: [LEA_10] })],
      2,
      /last transaction must be the mining reward/,
    );
  });

  t.test("reward not last", async (t) => {
    const block = forge(B2, { transactions: [rewardFor(NODE_ID), LEA_10] });
    expectInvalid(t, [GENESIS, B2, block], 3, /last transaction must be the mining reward/);
  });

  t.test("reward amount other than 1", async (t) => {
    for (const amount of [2, 0.5, 100]) {
      const block = forge(B2, { transactions: [LEA_10, { sender: "0", recipient: NODE_ID, amount }] });
      expectInvalid(t, [GENESIS, B2, block], 3, new RegExp(`must pay 1 to a 32-hex-digit node id, not ${amount} to`));
    }
  });

  t.test("two rewards", async (t) => {
    const block = forge(B2, { transactions: [rewardFor(NODE_ID), LEA_10, rewardFor(NODE_ID)] });
    expectInvalid(t, [GENESIS, B2, block], 3, /only the last transaction may come from sender "0"/);
    const twice = forge(B2, { transactions: [rewardFor(OTHER_ID), rewardFor(NODE_ID)] });
    expectInvalid(t, [GENESIS, B2, twice], 3, /only the last transaction may come from sender "0"/);
  });

  t.test("bad recipient id", async (t) => {
    for (const recipient of [NODE_ID.toUpperCase(), NODE_ID.slice(1), `${NODE_ID}0`, "Mark", "", "g".repeat(32)]) {
      const block = forge(B2, { transactions: [{ sender: "0", recipient, amount: 1 }] });
      expectInvalid(t, [GENESIS, B2, block], 3, /must pay 1 to a 32-hex-digit node id/);
    }
  });

  t.test("proof out of range", async (t) => {
    for (const proof of [-1, 1.5, 2 ** 53, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectInvalid(t, [GENESIS, B2, { ...B3, proof }], 3, /is not an integer from 0 to 2\^53-1/);
    }
    // 2^53-1 itself is in range: it is judged by the difficulty instead.
    const max = Number.MAX_SAFE_INTEGER;
    if (!meetsDifficulty(powHeader(B3), max, DIFFICULTY)) {
      expectInvalid(t, [GENESIS, B2, { ...B3, proof: max }], 3, /does not reach/);
    }
  });

  t.test("a proof of a lower difficulty", async (t) => {
    const easy = mine({ ...B2, transactions: [rewardFor(NODE_ID)], timestamp: B2.timestamp + 1 }, 1);
    t.ok(leadingZeroBits(proofHash(powHeader(easy), easy.proof)) < DIFFICULTY, "precondition: the proof is too weak");
    expectInvalid(t, [GENESIS, easy], 2, /does not reach 12 leading zero bits/);
  });
});

/** A valid chain whose blocks after the genesis are dated `times` (mined in order). */
function datedChain(times: readonly number[]): Block[] {
  const blocks: Block[] = [GENESIS];
  for (const timestamp of times) blocks.push(forge(blocks[blocks.length - 1] as Block, { timestamp }));
  return blocks;
}

t.test("timestamps: later than the median of the 11 blocks before, at most 2 hours ahead of the clock", async (t) => {
  t.test("medianTime: the middle of the last 11, the upper one of an even count", async (t) => {
    t.equal(medianTime([5]), 5);
    t.equal(medianTime([3, 1, 2]), 2, "sorted first");
    t.equal(medianTime([1, 2, 3, 4]), 3);
    t.equal(medianTime([1000, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 6, "only the last 11 count");
    t.throws(() => medianTime([]), RangeError);
  });

  const g = GENESIS.timestamp;
  t.test("a block not later than the median is refused, naming it", async (t) => {
    expectInvalid(
      t,
      datedChain([g + 10, g + 10]),
      3,
      /^block 3: timestamp \S+ is not later than \S+, the median of the 2 blocks before it$/,
    );
    expectInvalid(t, datedChain([g]), 2, /is not later than/, RULES);
  });

  t.test("the issue's chain: year 9999, then 0, then 1e-7", async (t) => {
    const chain = datedChain([253_402_300_799, 0, 1e-7]);
    expectInvalid(t, chain, 3, /^block 3: timestamp 0 is not later than/);
    t.throws(
      () => validateChain(chain.slice(0, 2), RULES, Date.now() / 1000),
      FutureBlockError,
      "and block 2 is far ahead",
    );
  });

  t.test("a timestamp may go back, as long as it passes the median", async (t) => {
    const times = Array.from({ length: 12 }, (_, i) => g + 100 * (i + 1));
    times.push(g + 100 * 10 + 1);
    t.doesNotThrow(
      () => validateChain(datedChain(times), RULES),
      "block 14 is earlier than 13 but later than the median",
    );
  });

  t.test(
    "2 hours ahead of the receiving node's clock is the limit, and only a peer's blocks are held to it",
    async (t) => {
      const chain = datedChain([g + 10]);
      const tip = chain[1] as Block;
      t.doesNotThrow(() => validateChain(chain, RULES, tip.timestamp - MAX_FUTURE_SECONDS), "exactly 2 hours ahead");
      try {
        validateChain(chain, RULES, tip.timestamp - MAX_FUTURE_SECONDS - 1);
        t.fail("accepted a block more than 2 hours ahead");
      } catch (error) {
        t.type(error, FutureBlockError);
        t.type(error, InvalidChainError, "an invalid chain for now");
        t.equal((error as InvalidChainError).blockIndex, 2);
        t.match((error as Error).message, /ahead of this node's clock.*it may be accepted once the clocks agree/);
      }
      t.doesNotThrow(() => validateChain(chain, RULES), "without a clock (our stored chain) it is not checked");
    },
  );

  t.test("a segment is checked against the blocks before it", async (t) => {
    const chain = datedChain([g + 100, g + 200, g + 300, g + 400, g + 350]);
    const segment = chain.slice(4);
    t.throws(
      () => checkSegment(segment, RULES),
      /^block 6: timestamp \S+ is not later than \S+, the timestamp of the block before it$/,
      "alone, block 6 is earlier than block 5",
    );
    const before = chain.slice(0, 4).map((block) => block.timestamp);
    t.same(
      checkSegment(segment, RULES, { before }),
      [blockHash(chain[5] as Block)],
      "but later than the median of all 5",
    );
  });

  t.test("checkExtension checks blocks extending a tip, page after page", async (t) => {
    const chain = datedChain([g + 100, g + 200, g + 300, g + 400, g + 350]);
    const tipOf = (height: number) => ({
      height,
      hash: blockHash(chain[height - 1] as Block),
      recent: chain.slice(0, height).map((block) => block.timestamp),
    });
    const first = checkExtension(chain.slice(1, 3), tipOf(1), RULES, undefined);
    t.same(
      first.encoded.map((block) => block.hash),
      chain.slice(1, 3).map(blockHash),
      "their hashes",
    );
    t.same(
      first.encoded.map(({ head, transactions }) => `${head}${transactions}}`),
      chain.slice(1, 3).map(canonicalJson),
      "their canonical JSON, which the hashes are of",
    );
    t.same(
      first.encoded.map((block) => block.header),
      chain.slice(1, 3).map(powHeader),
      "and their H",
    );
    t.same(first.tip, tipOf(3), "and the tip the next page extends");
    const second = checkExtension(chain.slice(3), first.tip, RULES, undefined);
    t.same(second.tip, tipOf(6), "block 6 passes the median of the timestamps carried over");
    t.throws(
      () => checkExtension(chain.slice(3), tipOf(2), RULES, undefined),
      /^block 4: index 4 does not follow 2$/,
      "a page that skips a block",
    );
    t.throws(
      () => checkExtension(chain.slice(2), { ...tipOf(2), hash: "0".repeat(64) }, RULES, undefined),
      /^block 3: previous_hash \S+ is not the hash of block 2$/,
      "a page that does not link to the tip",
    );
  });

  t.test("nextTimestamp: the clock, or just past the median when the clock is behind", async (t) => {
    t.equal(nextTimestamp([g, g + 10], g + 1000, RULES), g + 1000, "the clock when it is ahead");
    const behind = nextTimestamp([g, g + 10, g + 20], g - 86_400, RULES);
    t.ok(behind > g + 10, `past the median even when the clock jumped back a day (${behind})`);
    t.ok(behind < g + 10.01, "by a millisecond");
    const chain = new Chain(RULES);
    for (const block of datedChain([g + 10, g + 20]).slice(1)) chain.append(block);
    const block = forge(chain.tip, { timestamp: nextTimestamp(chain.recentTimestamps, 0, RULES) });
    t.doesNotThrow(() => chain.append(block), "and Chain.append takes the block");
  });
});

t.test("Chain", async (t) => {
  t.test("starts at the genesis", async (t) => {
    const chain = new Chain(RULES);
    t.equal(chain.length, 1);
    t.same(chain.tip, GENESIS);
    t.equal(chain.tipHash, GENESIS_HASH);
    t.equal(chain.hashAt(1), GENESIS_HASH);
    t.equal(chain.hashAt(2), undefined, "nothing past the tip");
    t.same(chain.recentTimestamps, [GENESIS.timestamp]);
  });

  t.test("append accepts a mined block on the tip", async (t) => {
    const chain = new Chain(RULES);
    chain.append(B2);
    chain.append(B3);
    t.equal(chain.length, 3);
    t.equal(chain.tip, B3);
    t.equal(chain.tipHash, blockHash(B3));
    t.same(
      [1, 2, 3].map((height) => chain.hashAt(height)),
      [GENESIS_HASH, blockHash(B2), blockHash(B3)],
    );
    t.same(chain.recentTimestamps, [GENESIS.timestamp, B2.timestamp, B3.timestamp]);
  });

  t.test("append refuses a stale block", async (t) => {
    const chain = new Chain(RULES);
    chain.append(B2);
    const rival = forge(GENESIS, {}, OTHER_ID);
    t.throws(() => chain.append(rival), StaleBlockError);
    try {
      chain.append(rival);
    } catch (error) {
      t.ok(error instanceof StaleBlockError);
      const e = error as StaleBlockError;
      t.equal(e.expectedPreviousHash, blockHash(B2));
      t.equal(e.actualPreviousHash, GENESIS_HASH);
      t.match(e.message, blockHash(B2));
    }
    t.throws(() => chain.append(B2), StaleBlockError, "the same block twice is stale");
    t.equal(chain.length, 2, "the chain is unchanged");
    t.equal(chain.tip, B2);
  });

  t.test("append refuses an invalid proof and other rule breaks", async (t) => {
    const chain = new Chain(RULES);
    t.throws(() => chain.append({ ...B2, proof: badProof(B2) }), InvalidChainError);
    t.throws(() => chain.append({ ...B2, timestamp: B2.timestamp + 1 }), { name: "InvalidChainError", blockIndex: 2 });
    t.throws(() => chain.append(forge(GENESIS, { transactions: [LEA_10] })), {
      name: "InvalidChainError",
      message: /mining reward/,
    });
    t.throws(() => chain.append(forge(GENESIS, { index: 5 })), { name: "InvalidChainError", blockIndex: 5 });
    t.equal(chain.length, 1, "the chain is unchanged");
    t.equal(chain.tipHash, GENESIS_HASH);
    t.same(chain.recentTimestamps, [GENESIS.timestamp]);
  });

  t.test("keeps only the last 11 timestamps, and 32 bytes a block of hash index", async (t) => {
    const chain = new Chain(RULES);
    const blocks = datedChain(Array.from({ length: 30 }, (_, i) => GENESIS.timestamp + 1 + i));
    for (const block of blocks.slice(1)) chain.append(block);
    t.equal(chain.length, 31);
    t.same(
      chain.recentTimestamps,
      blocks.slice(-11).map((block) => block.timestamp),
    );
    t.same(
      blocks.map((block) => chain.hashAt(block.index)),
      blocks.map(blockHash),
      "hashAt(height) gives every block's hash",
    );
  });

  t.test("adopt swaps in a chain from its fork point", async (t) => {
    const chain = new Chain(RULES);
    chain.append(B2);
    chain.append(B3);
    const rival = buildChain(4, OTHER_ID);
    const hashes = validateChain(rival, RULES);
    const recent = rival.map((block) => block.timestamp);
    chain.adopt({ fork: 1, hashes: hashes.slice(1), work: blocksWork(1, 3), tip: rival[3] as Block, recent });
    t.equal(chain.length, 4);
    t.equal(chain.work, 4n * 2n ** BigInt(DIFFICULTY), "its work is four blocks'");
    t.equal(chain.tipHash, blockHash(rival[3] as Block));
    t.same(chain.tip, rival[3]);
    t.same(
      [1, 2, 3, 4].map((height) => chain.hashAt(height)),
      hashes,
      "our genesis, then the adopted blocks",
    );
    t.same(chain.recentTimestamps, recent);

    const extension = new Chain(RULES);
    extension.append(B2);
    extension.adopt({
      fork: 2,
      hashes: [B3, B4].map(blockHash),
      work: blocksWork(2, 2),
      tip: B4,
      recent: [B3.timestamp, B4.timestamp],
    });
    t.same(
      [1, 2, 3, 4].map((height) => extension.hashAt(height)),
      CHAIN.slice(0, 4).map(blockHash),
      "an extension keeps every block of ours",
    );
    t.same(extension.recentTimestamps, [B3.timestamp, B4.timestamp]);
  });
});

/** The pending transactions after dropping `dropped` for `added`, as the node reckons them. */
function reconcile(dropped: readonly Block[], added: readonly Block[], pending: readonly Transaction[]): Transaction[] {
  const orphaned = dropped.flatMap((block) => block.transactions).filter((tx) => !isReward(tx));
  const confirmed = new Map<string, number>();
  countConfirmed(added, new Set([...orphaned, ...pending].map(transactionKey)), confirmed);
  return pendingAfterReorg(orphaned, pending, confirmed);
}

/** The work index of `count` walkthrough blocks after the block at `fork`. */
function blocksWork(fork: number, count: number): WorkIndex {
  const work = new WorkIndex(RULES.pow, { base: BigInt(fork) * 2n ** BigInt(DIFFICULTY) });
  for (let i = 0; i < count; i++) work.push(undefined);
  return work;
}

t.test("the chain choice: the chain with more work is better; on a tie ours, the first seen, is kept", async (t) => {
  /** A walkthrough chain: every block holds the same work, so the longer has more. */
  const fixed = (length: number) => ({ length, work: BigInt(length) * 65_536n });
  t.ok(isBetter(fixed(5), fixed(4)), "a longer candidate replaces ours");
  t.notOk(isBetter(fixed(4), fixed(4)), "an equal one does not");
  t.notOk(isBetter(fixed(3), fixed(4)), "a shorter one does not");
  t.ok(compareChains(fixed(7), fixed(2)) > 0);
  t.equal(compareChains(fixed(2), fixed(2)), 0);
  t.ok(compareChains(fixed(2), fixed(7)) < 0);
  t.same(
    [fixed(2), fixed(9), fixed(5)].sort((a, b) => compareChains(b, a)),
    [fixed(9), fixed(5), fixed(2)],
    "sorted best first",
  );
  t.ok(isBetter({ length: 3, work: 900n }, { length: 8, work: 800n }), "a shorter chain with more work wins");
  t.notOk(isBetter({ length: 8, work: 800n }, { length: 3, work: 900n }), "a longer one with less loses");
  t.notOk(isBetter({ length: 9, work: 800n }, { length: 3, work: 800n }), "a longer one with as much: ours is kept");
});

t.test("pendingAfterReorg", async (t) => {
  const X: Transaction = { sender: "xavier", recipient: "yves", amount: 1 };
  const Y: Transaction = { sender: "yves", recipient: "zoe", amount: 2 };
  const Z: Transaction = { sender: "zoe", recipient: "xavier", amount: 3 };
  const P: Transaction = { sender: "pat", recipient: "quinn", amount: 4 };
  const block = (index: number, transactions: Transaction[], miner = NODE_ID): Block => ({
    index,
    timestamp: index,
    transactions: [...transactions, rewardFor(miner)],
    proof: 0,
    previous_hash: "x",
  });
  const copy = (tx: Transaction): Transaction => ({ ...tx });

  t.test("orphaned transactions come back, rewards excluded", async (t) => {
    const result = reconcile([block(2, [X, Y]), block(3, [])], [block(2, [], OTHER_ID)], []);
    t.same(result, [X, Y]);
    t.notOk(
      result.some((tx) => tx.sender === "0"),
      "no reward",
    );
  });

  t.test("order: orphaned first, then pending", async (t) => {
    t.same(reconcile([block(2, [X]), block(3, [Y])], [block(2, []), block(3, []), block(4, [])], [Z, P]), [X, Y, Z, P]);
  });

  t.test("those the new chain holds are removed, matched by content", async (t) => {
    t.same(reconcile([block(2, [X, Y])], [block(2, [copy(Y)], OTHER_ID)], [Z]), [X, Z]);
    t.same(reconcile([], [block(2, [copy(Z)])], [Z, P]), [P], "a pending one confirmed by the new chain");
    t.same(reconcile([], [block(2, [{ sender: "zoe", recipient: "xavier", amount: 3.0 }])], [Z]), []);
    t.same(reconcile([], [block(2, [{ ...Z, amount: 3.5 }])], [Z]), [Z], "another amount is another payment");
    t.same(reconcile([block(2, [X])], [block(2, [X]), block(3, [Y])], []), [], "confirmed elsewhere");
  });

  t.test("as a multiset: two identical payments, one confirmed, one stays", async (t) => {
    t.same(reconcile([block(2, [P, P])], [block(2, [copy(P)], OTHER_ID)], []), [P]);
    t.same(reconcile([], [block(2, [copy(P)])], [P, P]), [P]);
    t.same(reconcile([block(2, [P])], [block(2, [copy(P)])], [P]), [P], "orphaned P confirmed, pending P stays");
    t.same(reconcile([block(2, [P])], [block(2, [P, P, P])], [P]), [], "more confirmations than copies");
  });

  t.test("rewards in the new chain confirm nothing", async (t) => {
    const lookalike = rewardFor(OTHER_ID);
    t.same(reconcile([], [block(2, [], OTHER_ID)], [X, lookalike]), [X, lookalike]);
    t.same(reconcile([block(2, [])], [block(2, [], OTHER_ID)], []), [], "the dropped reward does not return");
  });

  t.test("no reorg: nothing changes", async (t) => {
    t.same(reconcile([], [], [X, Y]), [X, Y]);
  });
});
