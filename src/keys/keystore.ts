import { createCipheriv, createDecipheriv, randomBytes, scrypt } from "node:crypto";
import { link, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { addressPrefix, decodeAddress, encodeAddress } from "./address.js";
import { publicKeyOf, SECRET_KEY_BYTES } from "./ed25519.js";
import { AddressError, KeystoreError, KeystoreExistsError, WrongPassphraseError } from "./errors.js";

/**
 * The wallet's key file: a secret key (the 32-byte Ed25519 seed) sealed with
 * a passphrase, in the shape of Ethereum's keystore v3 so that its fields
 * read as they do there, but with an authenticated cipher in place of v3's
 * AES-CTR and Keccak MAC:
 *
 * ```json
 * {
 *   "version": 1,                 // this format's version (not v3's 3)
 *   "address": "toy1...",         // the key's address, in the clear, authenticated
 *   "crypto": {
 *     "cipher": "aes-256-gcm",
 *     "ciphertext": "<hex>",      // the 32-byte seed, encrypted
 *     "cipherparams": { "iv": "<hex>" },          // GCM's 12-byte nonce, random
 *     "kdf": "scrypt",
 *     "kdfparams": { "n": 131072, "r": 8, "p": 1, "dklen": 32, "salt": "<hex>" }, // 32-byte salt
 *     "tag": "<hex>"              // GCM's 16-byte tag, over the ciphertext and the address
 *   }
 * }
 * ```
 *
 * The key is scrypt(passphrase, salt) with the file's parameters; the
 * passphrase is taken in Unicode NFC, so that the same characters typed on
 * two systems that compose them differently open the file alike.
 */

export const KEYSTORE_VERSION = 1;

export interface ScryptParams {
  /** The cost, a power of 2: memory is 128 * n * r bytes. */
  n: number;
  r: number;
  p: number;
}

/** 2^17 with r = 8: 128 MiB and about half a second here, for each try of a passphrase. */
export const DEFAULT_SCRYPT: ScryptParams = { n: 2 ** 17, r: 8, p: 1 };

export interface KeystoreFile {
  version: typeof KEYSTORE_VERSION;
  address: string;
  crypto: {
    cipher: "aes-256-gcm";
    ciphertext: string;
    cipherparams: { iv: string };
    kdf: "scrypt";
    kdfparams: ScryptParams & { dklen: 32; salt: string };
    tag: string;
  };
}

const KEY_BYTES = 32;
const SALT_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The most memory a file may ask scrypt for: its parameters come from the file, which may be anyone's. */
const MAX_SCRYPT_MEMORY = 1024 ** 3;

/** Why scrypt parameters are refused, or undefined. */
function scryptFailure({ n, r, p }: ScryptParams): string | undefined {
  if (!Number.isSafeInteger(n) || n < 2 || n > 2 ** 30 || (n & (n - 1)) !== 0)
    return `n must be a power of 2, not ${n}`;
  if (!Number.isSafeInteger(r) || r < 1 || r > 32) return `r must be a whole number from 1 to 32, not ${r}`;
  if (!Number.isSafeInteger(p) || p < 1 || p > 16) return `p must be a whole number from 1 to 16, not ${p}`;
  if (128 * n * r > MAX_SCRYPT_MEMORY) return `n = ${n} and r = ${r} would take more than 1 GiB of memory`;
  return undefined;
}

function deriveKey(passphrase: string, salt: Uint8Array, { n, r, p }: ScryptParams): Promise<Buffer> {
  // OpenSSL's scrypt takes 128 * r * (n + p + 2) bytes; maxmem leaves a margin above it.
  const maxmem = 128 * r * (n + p + 2) + 1024 ** 2;
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize("NFC"), salt, KEY_BYTES, { N: n, r, p, maxmem }, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}

/** GCM's additional data: the format and the address, so that neither can be changed unseen. */
const additionalData = (address: string): Buffer => Buffer.from(`toychain/keystore/v1\n${address}`, "utf8");

/** Seals a secret key with a passphrase; `prefix` is the chain's, for the address the file names. */
export async function encryptKey(
  secretKey: Uint8Array,
  passphrase: string,
  prefix: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<KeystoreFile> {
  const failure = scryptFailure(params);
  if (failure !== undefined) throw new RangeError(`scrypt parameters: ${failure}`);
  const address = encodeAddress(prefix, publicKeyOf(secretKey));
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", await deriveKey(passphrase, salt, params), iv);
  cipher.setAAD(additionalData(address));
  const ciphertext = Buffer.concat([cipher.update(secretKey), cipher.final()]);
  return {
    version: KEYSTORE_VERSION,
    address,
    crypto: {
      cipher: "aes-256-gcm",
      ciphertext: ciphertext.toString("hex"),
      cipherparams: { iv: iv.toString("hex") },
      kdf: "scrypt",
      kdfparams: { ...params, dklen: KEY_BYTES, salt: salt.toString("hex") },
      tag: cipher.getAuthTag().toString("hex"),
    },
  };
}

/** Whether a value is a plain object, whose fields can be read. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A parsed JSON value checked to be a key file of this version, field by
 * field; `source` (its path) names it in the KeystoreError otherwise.
 */
export function parseKeystore(value: unknown, source: string): KeystoreFile {
  const fail = (reason: string): never => {
    throw new KeystoreError(source, reason);
  };
  const hex = (where: Record<string, unknown>, field: string, bytes: number): string => {
    const text = where[field];
    if (typeof text !== "string" || !new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(text)) {
      return fail(`${field} must be ${bytes} bytes in ${bytes * 2} lower-case hex digits`);
    }
    return text;
  };
  if (!isRecord(value)) return fail("it is not a JSON object");
  if (value.version !== KEYSTORE_VERSION) {
    return fail(`its version is ${JSON.stringify(value.version)}; this toychain reads version ${KEYSTORE_VERSION}`);
  }
  const { address, crypto } = value;
  if (typeof address !== "string") return fail("it names no address");
  try {
    decodeAddress(addressPrefix(address) ?? "", address, "address");
  } catch (error) {
    return fail(error instanceof AddressError ? error.message : `address ${JSON.stringify(address)} is not one`);
  }
  if (!isRecord(crypto)) return fail("it has no crypto object");
  if (crypto.cipher !== "aes-256-gcm") return fail(`its cipher is ${JSON.stringify(crypto.cipher)}, not aes-256-gcm`);
  if (crypto.kdf !== "scrypt") return fail(`its kdf is ${JSON.stringify(crypto.kdf)}, not scrypt`);
  const { cipherparams, kdfparams } = crypto;
  if (!isRecord(cipherparams)) return fail("it has no cipherparams");
  if (!isRecord(kdfparams)) return fail("it has no kdfparams");
  const { n, r, p, dklen } = kdfparams;
  if (typeof n !== "number" || typeof r !== "number" || typeof p !== "number") {
    return fail("kdfparams n, r and p must be numbers");
  }
  const failure = scryptFailure({ n, r, p });
  if (failure !== undefined) return fail(`kdfparams: ${failure}`);
  if (dklen !== KEY_BYTES) return fail(`kdfparams dklen must be ${KEY_BYTES}`);
  return {
    version: KEYSTORE_VERSION,
    address,
    crypto: {
      cipher: "aes-256-gcm",
      ciphertext: hex(crypto, "ciphertext", SECRET_KEY_BYTES),
      cipherparams: { iv: hex(cipherparams, "iv", IV_BYTES) },
      kdf: "scrypt",
      kdfparams: { n, r, p, dklen: KEY_BYTES, salt: hex(kdfparams, "salt", SALT_BYTES) },
      tag: hex(crypto, "tag", TAG_BYTES),
    },
  };
}

/**
 * The secret key sealed in a key file. Throws WrongPassphraseError when the
 * passphrase does not open it, and KeystoreError if what it opens to is not
 * the key of the address it names.
 */
export async function decryptKey(file: KeystoreFile, passphrase: string): Promise<Uint8Array> {
  const { address, crypto } = file;
  const { n, r, p, salt } = crypto.kdfparams;
  const key = await deriveKey(passphrase, Buffer.from(salt, "hex"), { n, r, p });
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(crypto.cipherparams.iv, "hex"));
  decipher.setAAD(additionalData(address));
  decipher.setAuthTag(Buffer.from(crypto.tag, "hex"));
  let secretKey: Buffer;
  try {
    secretKey = Buffer.concat([decipher.update(Buffer.from(crypto.ciphertext, "hex")), decipher.final()]);
  } catch {
    throw new WrongPassphraseError(address);
  }
  const named = decodeAddress(addressPrefix(address) ?? "", address, "address");
  if (!Buffer.from(named).equals(publicKeyOf(secretKey))) {
    throw new KeystoreError(address, "the key it holds is not the key of its address");
  }
  return secretKey;
}

/** Reads and checks a key file (parseKeystore); KeystoreError names the path when it cannot be read or is not one. */
export async function readKeystore(path: string): Promise<KeystoreFile> {
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new KeystoreError(path, error.code === "ENOENT" ? "there is no such file" : error.message);
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeystoreError(path, "it is not JSON");
  }
  return parseKeystore(value, path);
}

/**
 * Writes a key file readable by its owner only (mode 0600), whole or not at
 * all: into a temporary file beside it, synced, then linked to its name
 * (which fails, atomically, if a file is there: KeystoreExistsError) or,
 * when `overwrite` is asked for, renamed over it. The folder is synced too,
 * so a key that a crash would lose is not reported written.
 */
export async function writeKeystore(
  path: string,
  file: KeystoreFile,
  { overwrite = false }: { overwrite?: boolean } = {},
): Promise<void> {
  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temporary, "wx", 0o600);
  try {
    try {
      await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (overwrite) {
      await rename(temporary, path);
    } else {
      await link(temporary, path).catch((error: NodeJS.ErrnoException) => {
        throw error.code === "EEXIST" ? new KeystoreExistsError(path) : error;
      });
    }
  } finally {
    await rm(temporary, { force: true });
  }
  const directory = await open(folder, "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
