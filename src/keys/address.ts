import { bech32, bech32m } from "bech32";
import { checkPublicKey, PUBLIC_KEY_BYTES, publicKeyFailure } from "./ed25519.js";
import { AddressError, AddressPrefixError } from "./errors.js";

/**
 * Addresses: the bech32m encoding (BIP 350) of an account's 32-byte Ed25519
 * public key, after a prefix that names the chain (`toy1...`). Its checksum
 * catches any mistyping of up to 4 characters, so a payment to a mistyped
 * address is refused rather than sent to a key that nobody holds.
 *
 * An account has one address and an address one text: the key must pass the
 * pinned rule (canonical, not of small order: see ed25519.ts), and the text
 * must be the lower-case form. BIP 350 also lets decoders read the
 * upper-case form; a ledger keyed by address text would then hold one
 * account under two names, so it is refused, saying so.
 */

/** bech32's alphabet: every data character is one of these 32. */
const ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/** BIP 173's limit on an address's length, which the bech32 package applies by default. */
const MAX_LENGTH = 90;

/** bech32's 6 checksum characters, after the 52 that carry 32 bytes (256 bits in 5-bit words). */
const CHECKSUM_LENGTH = 6;
const DATA_LENGTH = Math.ceil((PUBLIC_KEY_BYTES * 8) / 5);

/** Why a prefix cannot start this chain's addresses, or undefined: bech32's human-readable part, in lower case. */
function prefixFailure(prefix: string): string | undefined {
  if (prefix.length === 0) return "it is empty";
  if (!/^[\x21-\x7e]+$/.test(prefix)) return "bech32 allows only the printable ASCII characters 33-126";
  if (prefix !== prefix.toLowerCase()) return "addresses are written in lower case";
  if (prefix.length + 1 + DATA_LENGTH + CHECKSUM_LENGTH > MAX_LENGTH) {
    return `its addresses would be longer than bech32's ${MAX_LENGTH} characters`;
  }
  return undefined;
}

function checkPrefix(prefix: string): void {
  const failure = prefixFailure(prefix);
  if (failure !== undefined) throw new AddressPrefixError(prefix, failure);
}

/** The address of a public key; throws PublicKeyError for a key that the pinned rule refuses. */
export function encodeAddress(prefix: string, publicKey: Uint8Array): string {
  checkPrefix(prefix);
  checkPublicKey(publicKey);
  return bech32m.encode(prefix, bech32m.toWords(publicKey), MAX_LENGTH);
}

/** The prefix an address text states: all before its last "1" (bech32's separator), or undefined if it has none. */
export function addressPrefix(text: string): string | undefined {
  const separator = text.lastIndexOf("1");
  return separator > 0 ? text.slice(0, separator) : undefined;
}

/** Why a text is not an address of this prefix, or its public key. */
function decode(prefix: string, text: string): Uint8Array | string {
  if (text.length > MAX_LENGTH) return `it is ${text.length} characters long, more than bech32's ${MAX_LENGTH}`;
  if (text !== text.toLowerCase()) {
    return text === text.toUpperCase()
      ? "addresses are written in lower case"
      : "it mixes upper and lower case, which bech32 forbids";
  }
  if (!text.startsWith(`${prefix}1`)) {
    const stated = addressPrefix(text);
    return stated === undefined
      ? `it does not start with "${prefix}1"`
      : `it starts with "${stated}1", not "${prefix}1": it is for another chain`;
  }
  const data = text.slice(prefix.length + 1);
  const stray = [...data].findIndex((c) => !ALPHABET.includes(c));
  if (stray !== -1) {
    return `character ${prefix.length + 2 + stray} (${JSON.stringify(data[stray])}) is not one of bech32's ("1", "b", "i" and "o" never appear after the "1")`;
  }
  if (data.length !== DATA_LENGTH + CHECKSUM_LENGTH) {
    return `it has ${data.length} characters after "${prefix}1", not ${DATA_LENGTH + CHECKSUM_LENGTH}`;
  }
  const decoded = bech32m.decodeUnsafe(text, MAX_LENGTH);
  if (decoded === undefined) {
    return bech32.decodeUnsafe(text, MAX_LENGTH) === undefined
      ? "its checksum fails"
      : "its checksum is bech32's (BIP 173), not bech32m's (BIP 350)";
  }
  const bytes = bech32m.fromWordsUnsafe(decoded.words);
  if (bytes === undefined) return "its last character carries padding bits that are not zero";
  const publicKey = Uint8Array.from(bytes);
  const failure = publicKeyFailure(publicKey);
  return failure === undefined ? publicKey : `its key is ${failure}`;
}

/** How many addresses' keys a thread keeps: a few hundred KB. */
export const DECODED_CACHE_SIZE = 4096;

/**
 * The keys of the addresses decoded lately, by prefix and text, the most
 * recently used last. A block's transfers name the same accounts again and
 * again, and decoding one (bech32m, then the key's checks) costs several
 * microseconds, a page of 10,000 transfers a good part of its check.
 * Failures are not kept: their messages are made each time.
 */
const decodedKeys = new Map<string, { prefix: string; key: Uint8Array }>();

/**
 * The public key of an address of this chain. Throws AddressError naming the
 * field the text came in and what is wrong with it, for instance
 * `recipient "toy1..." is not a toy address: its checksum fails`.
 */
export function decodeAddress(prefix: string, text: string, field: string): Uint8Array {
  // Kept by text alone: a text that decodes has one prefix, all before its last "1".
  const known = decodedKeys.get(text);
  if (known !== undefined && known.prefix === prefix) {
    decodedKeys.delete(text);
    decodedKeys.set(text, known);
    return known.key.slice();
  }
  checkPrefix(prefix);
  const decoded = decode(prefix, text);
  if (typeof decoded === "string") throw new AddressError(field, text, prefix, decoded);
  if (decodedKeys.size >= DECODED_CACHE_SIZE) decodedKeys.delete(decodedKeys.keys().next().value as string);
  decodedKeys.set(text, { prefix, key: decoded.slice() });
  return decoded;
}
