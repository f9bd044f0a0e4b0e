import { bech32, bech32m } from "bech32";
import t from "tap";
import {
  AddressError,
  AddressPrefixError,
  DECODED_CACHE_SIZE,
  decodeAddress,
  encodeAddress,
  generateKeyPair,
  PublicKeyError,
  SMALL_ORDER_ENCODINGS,
} from "../src/keys/index.js";

/**
 * Addresses: bech32m of the 32-byte public key after the chain's prefix.
 * Round trips, the address of a fixed key, and every way a text can fail to
 * be one, each refused with a message naming the field.
 */

const hex = (text: string): Buffer => Buffer.from(text, "hex");

/** RFC 8032's TEST 1 key; its address was also computed with BIP 350's reference code (Python), independently. */
const RFC8032_KEY = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
const RFC8032_ADDRESS = "toy16adfsqvzky9t042tlmfujeq88g8wzuhnm2nzxfd0qgdx3ac82ydqsurf9c";

/** The message decodeAddress("toy", text, "recipient") throws. */
function refusal(text: string, field = "recipient"): string {
  try {
    decodeAddress("toy", text, field);
  } catch (error) {
    if (error instanceof AddressError) return error.message;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

t.test("the address of RFC 8032's first key, and back", async (t) => {
  t.equal(encodeAddress("toy", RFC8032_KEY), RFC8032_ADDRESS);
  t.same(Buffer.from(decodeAddress("toy", RFC8032_ADDRESS, "sender")), RFC8032_KEY);
});

t.test("any new key's address decodes to it", async (t) => {
  for (let i = 0; i < 200; i++) {
    const { publicKey } = generateKeyPair();
    const address = encodeAddress("toy", publicKey);
    t.match(address, /^toy1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/);
    const decoded = Buffer.from(decodeAddress("toy", address, "recipient"));
    if (!decoded.equals(Buffer.from(publicKey))) t.fail(`${address} decodes to ${decoded.toString("hex")}`);
  }
});

t.test("an address decoded again: the same key, a copy of its own; past the keys kept, still right", async (t) => {
  const first = decodeAddress("toy", RFC8032_ADDRESS, "sender");
  first.fill(0);
  t.same(
    Buffer.from(decodeAddress("toy", RFC8032_ADDRESS, "sender")),
    RFC8032_KEY,
    "a key changed by its caller is not",
  );
  t.throws(() => decodeAddress("tox", RFC8032_ADDRESS, "sender"), AddressError, "nor is another prefix's address");
  const keys = Array.from({ length: DECODED_CACHE_SIZE + 10 }, () => generateKeyPair().publicKey);
  const addresses = keys.map((key) => encodeAddress("toy", key));
  for (const round of ["decoded", "decoded again"]) {
    const wrong = addresses.filter(
      (address, i) => !Buffer.from(decodeAddress("toy", address, "sender")).equals(keys[i] as Uint8Array),
    );
    t.same(wrong, [], `${addresses.length} addresses, more than are kept, ${round}`);
  }
  t.same(Buffer.from(decodeAddress("toy", RFC8032_ADDRESS, "sender")), RFC8032_KEY);
});

t.test("a mistyped character fails the checksum, naming the field", async (t) => {
  const typo = `${RFC8032_ADDRESS.slice(0, 10)}q${RFC8032_ADDRESS.slice(11)}`;
  t.equal(
    refusal(typo),
    'recipient "toy16adfsqqzky9t042tlmfujeq88g8wzuhnm2nzxfd0qgdx3ac82ydqsurf9c" is not a toy address: its checksum fails',
  );
  t.match(refusal(typo, "sender"), /^sender "toy1/);
  const error = t.throws(() => decodeAddress("toy", typo, "recipient"));
  t.ok(error instanceof AddressError && error.field === "recipient");
  // Every other character in every place after "toy1": bech32m catches each one.
  const alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  let tried = 0;
  for (let i = 4; i < RFC8032_ADDRESS.length; i++) {
    for (const c of alphabet) {
      if (c === RFC8032_ADDRESS[i]) continue;
      const message = refusal(`${RFC8032_ADDRESS.slice(0, i)}${c}${RFC8032_ADDRESS.slice(i + 1)}`);
      if (!message.endsWith("its checksum fails")) t.fail(message);
      tried++;
    }
  }
  t.equal(tried, 58 * 31);
});

t.test("two neighbours swapped fail the checksum", async (t) => {
  for (let i = 4; i < RFC8032_ADDRESS.length - 1; i++) {
    const a = RFC8032_ADDRESS.split("");
    [a[i], a[i + 1]] = [a[i + 1] ?? "", a[i] ?? ""];
    if (a[i] === a[i + 1]) continue;
    t.match(refusal(a.join("")), /its checksum fails$/);
  }
});

t.test("each malformed text is refused with what is wrong with it", async (t) => {
  const cases: [string, string][] = [
    [RFC8032_ADDRESS.slice(0, -1), `it has 57 characters after "toy1", not 58`],
    [`${RFC8032_ADDRESS}q`, `it has 59 characters after "toy1", not 58`],
    [RFC8032_ADDRESS.toUpperCase(), "addresses are written in lower case"],
    [`T${RFC8032_ADDRESS.slice(1)}`, "it mixes upper and lower case, which bech32 forbids"],
    [encodeAddress("tox", RFC8032_KEY), `it starts with "tox1", not "toy1": it is for another chain`],
    ["toy", `it does not start with "toy1"`],
    ["", `it does not start with "toy1"`],
    [
      `${RFC8032_ADDRESS.slice(0, 6)}b${RFC8032_ADDRESS.slice(7)}`,
      `character 7 ("b") is not one of bech32's ("1", "b", "i" and "o" never appear after the "1")`,
    ],
    [`toy1${"q".repeat(90)}`, "it is 94 characters long, more than bech32's 90"],
    [bech32.encode("toy", bech32.toWords(RFC8032_KEY)), "its checksum is bech32's (BIP 173), not bech32m's (BIP 350)"],
  ];
  for (const [text, reason] of cases) {
    t.equal(refusal(text), `recipient ${JSON.stringify(text)} is not a toy address: ${reason}`);
  }
});

t.test("an address of fewer or more bytes than a key is refused", async (t) => {
  const short = bech32m.encode("toy", bech32m.toWords(RFC8032_KEY.subarray(0, 31)));
  t.equal(refusal(short), `recipient "${short}" is not a toy address: it has 56 characters after "toy1", not 58`);
  // 52 words carry 260 bits: the 4 after the key's 256 must be zero.
  const words = bech32m.toWords(RFC8032_KEY);
  words[51] = (words[51] ?? 0) | 1;
  const padded = bech32m.encode("toy", words);
  t.match(refusal(padded), /its last character carries padding bits that are not zero$/);
});

t.test("an address of a key the verification rule refuses is refused", async (t) => {
  for (const encoding of SMALL_ORDER_ENCODINGS) {
    const text = bech32m.encode("toy", bech32m.toWords(hex(encoding)));
    t.match(refusal(text), /its key is a point of small order, whose signatures anyone can make$/, encoding);
  }
  const nonCanonical = bech32m.encode("toy", bech32m.toWords(hex(`ee${"ff".repeat(30)}7f`)));
  t.match(refusal(nonCanonical), /its key is not canonical \(y is not below p\)$/);
  t.throws(() => encodeAddress("toy", hex(SMALL_ORDER_ENCODINGS[0] ?? "")), PublicKeyError);
  t.throws(() => encodeAddress("toy", RFC8032_KEY.subarray(0, 31)), PublicKeyError);
});

t.test("a prefix that cannot start an address is refused", async (t) => {
  for (const prefix of ["", "Toy", "to y", "t".repeat(32)]) {
    t.throws(() => encodeAddress(prefix, RFC8032_KEY), AddressPrefixError, JSON.stringify(prefix));
    t.throws(() => decodeAddress(prefix, RFC8032_ADDRESS, "recipient"), AddressPrefixError, JSON.stringify(prefix));
  }
});
