import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
  randomBytes,
} from "node:crypto";
import { PublicKeyError, SecretKeyError } from "./errors.js";
import { L, littleEndian, pointFailure } from "./points.js";

/**
 * Ed25519 keys, signatures and the one verification rule every node applies.
 *
 * Implementations of Ed25519 disagree on signatures that no honest signer
 * makes (non-canonical encodings, points of small order, the cofactor), and
 * a chain whose nodes disagree on a signature splits. So the rule is pinned
 * here and held by the C2SP/CCTV and Wycheproof vectors
 * (test/ed25519.test.ts), which fail if a Node or OpenSSL upgrade changes
 * node:crypto's part of it:
 *
 * 1. The public key A is 32 bytes and the signature 64.
 * 2. S, the signature's last 32 bytes read little-endian, is below L.
 * 3. A is a canonical encoding and not one of the 8 points of small order
 *    (points.ts): an address has one key, and no key signs without its
 *    secret (a small-order A verifies signatures that anyone can make).
 * 4. R, the signature's first 32 bytes, is canonical and not of small
 *    order either. No honest signer makes a small-order R (r would be a
 *    multiple of L), so refusing it costs them nothing; libsodium and
 *    ed25519-dalek's verify_strict refuse it too.
 * 5. node:crypto (OpenSSL) decodes A, refusing a y with no x on the curve,
 *    recomputes R' = [S]B - [k]A with k = SHA-512(R || A || M) over the bytes
 *    as given, and compares R' encoded with R: the cofactorless equation. A
 *    signature whose R and A have low-order components that do not cancel
 *    (CCTV's low_order_residue) is thus refused, where the cofactored
 *    equation would accept it.
 *
 * A point with a low-order component beside its prime-order one (CCTV's
 * low_order_component) is not refused: no list can tell it, and telling it
 * by arithmetic ([L]A) costs milliseconds in BigInt, a gift to whoever
 * floods a node with transfers from fresh keys. Such a key still signs only
 * with its secret, and step 5 decides its signatures exactly.
 *
 * Of CCTV's 914 vectors this rule accepts the 43 whose only flags are
 * low_order_component_A or _R; node:crypto alone accepts 208.
 */

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** A key pair: the secret is RFC 8032's 32-byte seed, the public key its 32-byte encoding. */
export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/**
 * The DER that wraps a raw secret key, PKCS #8 for id-Ed25519 (RFC 8410),
 * then the 32 bytes. Its import is slow (OpenSSL 3's decoders, most of a
 * millisecond here), but a secret key is only used to sign, in a wallet; a
 * JWK would be quicker but needs the public key, which is what it is asked
 * for in publicKeyOf.
 */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * A new key pair: 32 bytes from the system's random source, as RFC 8032
 * (5.1.5) makes a secret key, and its public key. Not generateKeyPairSync:
 * on Node 20.20, exporting the key it makes (as JWK) deadlocks now and then:
 * the garbage collector, run in the middle of the export, finalizes the
 * finished key-generation job, whose destructor takes the key's lock, which
 * the export holds (seen here within a few thousand keys: the main thread
 * blocked in ~KeyGenJob under ExportJWKEdKey).
 */
export function generateKeyPair(): KeyPair {
  const secretKey = randomBytes(SECRET_KEY_BYTES);
  return { publicKey: publicKeyOf(secretKey), secretKey };
}

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  if (secretKey.length !== SECRET_KEY_BYTES) throw new SecretKeyError(secretKey.length);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: "der", type: "pkcs8" });
}

/** The public key of a secret key (its seed). */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  const { x } = createPublicKey(privateKeyObject(secretKey)).export({ format: "jwk" });
  if (x === undefined) throw new Error("node:crypto exported an Ed25519 public key without x");
  return Buffer.from(x, "base64url");
}

/** An Ed25519 signature (RFC 8032, deterministic) of a message. */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return nodeSign(null, message, privateKeyObject(secretKey));
}

/**
 * Signs message after message with one secret key, imported once: for many
 * signatures (a benchmark's pre-signed transfers), where sign's import of
 * the key for each costs ten times the signature itself.
 */
export function signer(secretKey: Uint8Array): (message: Uint8Array) => Uint8Array {
  const key = privateKeyObject(secretKey);
  return (message) => nodeSign(null, message, key);
}

/** Why the pinned rule (steps 1 and 3) refuses bytes as a public key, or undefined if it does not. */
export function publicKeyFailure(publicKey: Uint8Array): string | undefined {
  if (publicKey.length !== PUBLIC_KEY_BYTES) return `${publicKey.length} bytes, not ${PUBLIC_KEY_BYTES}`;
  const failure = pointFailure(publicKey);
  return failure === "a point of small order" ? `${failure}, whose signatures anyone can make` : failure;
}

/** Throws PublicKeyError, saying why, if the pinned rule refuses bytes as a public key. */
export function checkPublicKey(publicKey: Uint8Array): void {
  const failure = publicKeyFailure(publicKey);
  if (failure !== undefined) throw new PublicKeyError(failure);
}

/**
 * The KeyObject of a raw public key (in base64url). As a JWK: node:crypto
 * imports it with EVP_PKEY_new_raw_public_key, in about a tenth of a verify
 * here, where the DER (SubjectPublicKeyInfo) goes through OpenSSL 3's
 * decoders and costs as much as the verify itself.
 */
const publicKeyObject = (x: string): KeyObject =>
  createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });

/** How many public keys' KeyObjects a thread keeps: a few MB at most. */
export const KEY_CACHE_SIZE = 4096;

/**
 * The KeyObjects of the public keys that passed steps 1 and 3 lately, by
 * their base64url, the most recently used last. A sender's transfers come
 * in runs (a peer's page, a wallet's payments), and both its import and its
 * checks cost a verify about a tenth: a key seen again skips them. Both are
 * functions of the key's bytes alone, so the answer is the same; keys that
 * fail are not kept, nor is anything of a signature, so a flood of fresh
 * keys or forged signatures costs what it did, and a Map entry.
 */
const keyObjects = new Map<string, KeyObject>();

/** The KeyObject of a public key of 32 bytes that passes step 3, or undefined. */
function checkedKeyObject(publicKey: Uint8Array): KeyObject | undefined {
  const x = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("base64url");
  let key = keyObjects.get(x);
  if (key !== undefined) {
    keyObjects.delete(x);
  } else {
    if (pointFailure(publicKey) !== undefined) return undefined;
    key = publicKeyObject(x);
    if (keyObjects.size >= KEY_CACHE_SIZE) keyObjects.delete(keyObjects.keys().next().value as string);
  }
  keyObjects.set(x, key);
  return key;
}

/** Whether `signature` is the holder of `publicKey`'s over `message`, by the pinned rule above. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  if (littleEndian(signature.subarray(32)) >= L) return false;
  if (pointFailure(signature.subarray(0, 32)) !== undefined) return false;
  const key = checkedKeyObject(publicKey);
  return key !== undefined && nodeVerify(null, message, key, signature);
}
