import { createHash } from "node:crypto";
import fc from "fast-check";
import t from "tap";
import { transactionJson } from "../src/chain/index.js";
import {
  AddressError,
  encodeAddress,
  generateKeyPair,
  isLowerHex,
  messageId,
  SignatureError,
  type SignedTransaction,
  sign,
  signedTransferBytes,
  signingMessage,
  signTransaction,
  TransactionError,
  transactionId,
  type UnsignedTransaction,
  verifyTransaction,
} from "../src/keys/index.js";
import { hexAwareRegExp } from "../src/schemas/hex-pattern.js";

/**
 * Signed transfers: the message a sender signs, the id, and the checks every
 * node makes. The keys are RFC 8032's TEST 1 (sender) and TEST 2
 * (recipient), so the message, the id and the signature are pinned.
 */

const hex = (text: string): Buffer => Buffer.from(text, "hex");

/** The walkthrough chain's genesis hash, as a chain id. */
const CHAIN = "3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7";
const OTHER_CHAIN = "00000000a3e1ee1f6e9a7dc4d1a3bb0a2f4c4a0d3b5d9fd6a1e7c4f60c0e2f11";

const SECRET = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const SENDER = "toy16adfsqvzky9t042tlmfujeq88g8wzuhnm2nzxfd0qgdx3ac82ydqsurf9c";
const RECIPIENT = "toy184qp0slggwy44y4hp2n56xm7hjwfstx09mzfdrxqe42lz2h5vcxqun7h8y";

const UNSIGNED: UnsignedTransaction = { sender: SENDER, recipient: RECIPIENT, amount: 10, fee: 1, nonce: 1 };

/** The message, id and signature of UNSIGNED on CHAIN; the id and signature also computed with Python (hashlib, cryptography). */
const MESSAGE = `toychain/transfer/v1\n${CHAIN}\n{"amount":10,"fee":1,"nonce":1,"recipient":"${RECIPIENT}","sender":"${SENDER}"}`;
const ID = "589ac0055a7872d6f7e48d47617961f903077707a1969297a4c86f581e0e0008";
const SIGNATURE =
  "0da71d3321d6b3a04ee555b4e658197c7d81db50edfa9e27f912b6ffdb0285b6b6a41d0882398e15b3d3fe99e02cc7cc1a37499b4d08f548fc1ad2b7992cf306";

const SIGNED: SignedTransaction = { ...UNSIGNED, signature: SIGNATURE };

t.test("the signing message, the id and the signature of a fixed transfer", async (t) => {
  t.equal(Buffer.from(signingMessage(CHAIN, UNSIGNED)).toString("utf8"), MESSAGE);
  t.equal(transactionId(CHAIN, UNSIGNED), ID);
  t.equal(transactionId(CHAIN, UNSIGNED), createHash("sha256").update(MESSAGE).digest("hex"));
  t.same(signTransaction(CHAIN, SECRET, UNSIGNED), SIGNED);
  t.doesNotThrow(() => verifyTransaction(CHAIN, "toy", SIGNED));
});

t.test("from the message: the id, and the size of the transfer's canonical JSON as a block holds it", async (t) => {
  const message = signingMessage(CHAIN, UNSIGNED);
  t.equal(messageId(message), ID);
  t.equal(signedTransferBytes(message), Buffer.byteLength(transactionJson(SIGNED)));
  fc.assert(
    fc.property(
      fc.record({
        prefix: fc.constantFrom("toy", "a", "x1y"),
        amount: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fee: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        nonce: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      }),
      ({ prefix, amount, fee, nonce }) => {
        const tx: UnsignedTransaction = {
          sender: encodeAddress(prefix, generateKeyPair().publicKey),
          recipient: encodeAddress(prefix, generateKeyPair().publicKey),
          amount,
          fee,
          nonce,
        };
        const signed = { ...tx, signature: SIGNATURE };
        return signedTransferBytes(signingMessage(OTHER_CHAIN, tx)) === Buffer.byteLength(transactionJson(signed));
      },
    ),
    { numRuns: 200 },
  );
});

t.test("a new key's transfer round-trips", async (t) => {
  const alice = generateKeyPair();
  const bob = generateKeyPair();
  const tx = signTransaction(CHAIN, alice.secretKey, {
    sender: encodeAddress("toy", alice.publicKey),
    recipient: encodeAddress("toy", bob.publicKey),
    amount: Number.MAX_SAFE_INTEGER,
    fee: 0,
    nonce: 7,
  });
  t.match(tx.signature, /^[0-9a-f]{128}$/);
  t.doesNotThrow(() => verifyTransaction(CHAIN, "toy", tx));
});

t.test("the id is the message's: the same whatever the signature, another for any other field", async (t) => {
  t.equal(transactionId(CHAIN, SIGNED), ID);
  const otherSignature: SignedTransaction = { ...SIGNED, signature: "00".repeat(64) };
  t.equal(transactionId(CHAIN, otherSignature), ID);
  const ids = new Set([
    ID,
    transactionId(OTHER_CHAIN, UNSIGNED),
    transactionId(CHAIN, { ...UNSIGNED, amount: 11 }),
    transactionId(CHAIN, { ...UNSIGNED, fee: 2 }),
    transactionId(CHAIN, { ...UNSIGNED, nonce: 2 }),
    transactionId(CHAIN, { ...UNSIGNED, sender: RECIPIENT, recipient: SENDER }),
  ]);
  t.equal(ids.size, 6);
});

t.test("a signature made for another chain does not verify on this one", async (t) => {
  const elsewhere = signTransaction(OTHER_CHAIN, SECRET, UNSIGNED);
  t.doesNotThrow(() => verifyTransaction(OTHER_CHAIN, "toy", elsewhere));
  t.throws(() => verifyTransaction(CHAIN, "toy", elsewhere), {
    name: "SignatureError",
    message: `signature does not verify for sender ${SENDER}`,
  });
});

t.test("a transfer changed after signing does not verify", async (t) => {
  const changes: Partial<SignedTransaction>[] = [
    { amount: 11 },
    { amount: 100 },
    { fee: 0 },
    { nonce: 2 },
    { recipient: encodeAddress("toy", generateKeyPair().publicKey) },
  ];
  for (const change of changes) {
    const error = t.throws(() => verifyTransaction(CHAIN, "toy", { ...SIGNED, ...change }), SignatureError);
    t.equal(error instanceof Error && error.message, `signature does not verify for sender ${SENDER}`);
  }
  // Another key's signature over the very same message.
  const forged = Buffer.from(sign(generateKeyPair().secretKey, Buffer.from(MESSAGE))).toString("hex");
  t.throws(() => verifyTransaction(CHAIN, "toy", { ...SIGNED, signature: forged }), SignatureError);
});

t.test("a mistyped address is refused, naming its field", async (t) => {
  const typo = `${RECIPIENT.slice(0, 10)}${RECIPIENT[10] === "q" ? "p" : "q"}${RECIPIENT.slice(11)}`;
  t.throws(() => verifyTransaction(CHAIN, "toy", { ...SIGNED, recipient: typo }), {
    name: "AddressError",
    field: "recipient",
    message: `recipient "${typo}" is not a toy address: its checksum fails`,
  });
  t.throws(() => signTransaction(CHAIN, SECRET, { ...UNSIGNED, recipient: typo }), {
    name: "AddressError",
    field: "recipient",
  });
  const senderTypo = `${SENDER.slice(0, -1)}${SENDER.endsWith("q") ? "p" : "q"}`;
  t.throws(() => verifyTransaction(CHAIN, "toy", { ...SIGNED, sender: senderTypo }), {
    name: "AddressError",
    field: "sender",
  });
  // Addresses of another chain's prefix.
  t.throws(() => verifyTransaction(CHAIN, "tox", SIGNED), AddressError);
});

t.test("fields out of range are refused, naming the field", async (t) => {
  const cases: [Partial<Record<keyof SignedTransaction, unknown>>, string, string][] = [
    [{ amount: 0 }, "amount", `amount must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, not 0`],
    [{ amount: 1.5 }, "amount", `amount must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, not 1.5`],
    [
      { amount: 2 ** 53 },
      "amount",
      `amount must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, not ${2 ** 53}`,
    ],
    [{ amount: "10" }, "amount", `amount must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, not "10"`],
    [{ amount: Number.NaN }, "amount", `amount must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, not NaN`],
    [{ fee: -1 }, "fee", `fee must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, not -1`],
    [{ nonce: 0 }, "nonce", `nonce must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, not 0`],
    [{ nonce: undefined }, "nonce", `nonce must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, not missing`],
    [{ sender: 5 }, "sender", "sender must be an address, not 5"],
    [{ signature: SIGNATURE.slice(2) }, "signature", "signature must be 128 lower-case hex digits (64 bytes), not 126"],
    [
      { signature: SIGNATURE.toUpperCase() },
      "signature",
      "signature must be 128 lower-case hex digits (64 bytes): it has characters other than 0-9 and a-f",
    ],
    [{ signature: null }, "signature", "signature must be 128 lower-case hex digits (64 bytes), not null"],
  ];
  for (const [change, field, message] of cases) {
    const tx = { ...SIGNED, ...change } as SignedTransaction;
    t.throws(() => verifyTransaction(CHAIN, "toy", tx), { name: "TransactionError", field, message }, message);
  }
  t.throws(() => signingMessage(CHAIN.toUpperCase(), UNSIGNED), { name: "TransactionError", field: "chain id" });
  t.throws(() => transactionId(CHAIN.slice(1), UNSIGNED), TransactionError);
});

t.test(
  "isLowerHex, and the schemas' engine for ^[0-9a-f]{N}$: what the regular expression tests, for any text and length",
  async (t) => {
    const hexOrNot = fc.oneof(
      fc.stringMatching(/^[0-9a-f]{0,70}$/),
      fc.string({ maxLength: 70, unit: "binary" }),
      fc.string({
        maxLength: 70,
        unit: fc.constantFrom("0", "9", "a", "f", "g", "A", "F", "/", ":", "`", "\u0660", "\uff10"),
      }),
    );
    fc.assert(
      fc.property(hexOrNot, fc.integer({ min: 0, max: 70 }), (text, digits) => {
        const pattern = `^[0-9a-f]{${digits}}$`;
        const expected = new RegExp(pattern, "u").test(text);
        return (
          isLowerHex(text, digits) === expected &&
          hexAwareRegExp(pattern, "u").test(text) === expected &&
          isLowerHex(text, text.length) === /^[0-9a-f]*$/.test(text)
        );
      }),
      { numRuns: 3000 },
    );
    for (const other of [undefined, null, 5, ["ab"], { length: 2 }])
      t.notOk(isLowerHex(other, 2), `not ${String(other)}`);
    t.ok(isLowerHex(SIGNATURE, 128), "a signature's 128 digits");
    t.equal(
      String(hexAwareRegExp("^[0-9a-f]{8}$", "u")),
      "/^[0-9a-f]{8}$/u",
      "named as a RegExp is: ajv keeps one a name",
    );
    t.type(hexAwareRegExp("^[0-9a-f]{1,16}$", "u"), RegExp, "the schemas' other patterns: RegExp's");
    t.notOk(hexAwareRegExp("^[0-9a-f]{1,16}$", "u").test("0123456789abcdef0"));
  },
);

t.test("a key signs only for its own address", async (t) => {
  const other = generateKeyPair();
  t.throws(() => signTransaction(CHAIN, other.secretKey, UNSIGNED), {
    name: "TransactionError",
    field: "sender",
    message: `sender ${SENDER} is not the address of the key that signs`,
  });
  t.throws(() => signTransaction(CHAIN, SECRET, { ...UNSIGNED, sender: "lea" }), {
    name: "TransactionError",
    field: "sender",
  });
});
