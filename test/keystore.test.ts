import { createCipheriv, randomBytes, scryptSync } from "node:crypto";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import {
  DEFAULT_SCRYPT,
  decryptKey,
  encodeAddress,
  encryptKey,
  generateKeyPair,
  KeystoreError,
  type KeystoreFile,
  parseKeystore,
  readKeystore,
  type ScryptParams,
  WrongPassphraseError,
  writeKeystore,
} from "../src/keys/index.js";

/**
 * The wallet's key file: sealed and opened with a passphrase, refused with a
 * clear error for a wrong one or an altered file, written 0600 and never
 * over another unless asked. Most use a light scrypt (2^10) to stay quick;
 * one uses the default.
 */

const LIGHT: ScryptParams = { n: 2 ** 10, r: 8, p: 1 };

const folder = await mkdtemp(join(tmpdir(), "toychain-keystore-"));
t.teardown(() => rm(folder, { recursive: true, force: true }));

t.test("a key sealed with the default scrypt opens with its passphrase", async (t) => {
  const { publicKey, secretKey } = generateKeyPair();
  const file = await encryptKey(secretKey, "correct horse battery staple", "toy");
  t.equal(file.version, 1);
  t.equal(file.address, encodeAddress("toy", publicKey));
  t.same(file.crypto.kdfparams, { n: 131072, r: 8, p: 1, dklen: 32, salt: file.crypto.kdfparams.salt });
  t.same(DEFAULT_SCRYPT, { n: 2 ** 17, r: 8, p: 1 });
  t.match(file.crypto, {
    cipher: "aes-256-gcm",
    kdf: "scrypt",
    ciphertext: /^[0-9a-f]{64}$/,
    cipherparams: { iv: /^[0-9a-f]{24}$/ },
    tag: /^[0-9a-f]{32}$/,
  });
  t.match(file.crypto.kdfparams.salt, /^[0-9a-f]{64}$/);
  t.notOk(JSON.stringify(file).includes(Buffer.from(secretKey).toString("hex")), "the secret is not in the clear");
  t.same(Buffer.from(await decryptKey(file, "correct horse battery staple")), Buffer.from(secretKey));
});

t.test("written, read back and opened; the file is its owner's only (0600)", async (t) => {
  const { secretKey } = generateKeyPair();
  const path = join(folder, "round-trip.json");
  const file = await encryptKey(secretKey, "pass phrase", "toy", LIGHT);
  await writeKeystore(path, file);
  t.equal((await stat(path)).mode & 0o777, 0o600);
  const read = await readKeystore(path);
  t.same(read, file);
  t.same(Buffer.from(await decryptKey(read, "pass phrase")), Buffer.from(secretKey));
  t.same(
    (await readdir(folder)).filter((name) => name.endsWith(".tmp")),
    [],
    "no temporary file is left",
  );
});

t.test("a wrong passphrase is a WrongPassphraseError that says so", async (t) => {
  const { secretKey } = generateKeyPair();
  const file = await encryptKey(secretKey, "right", "toy", LIGHT);
  await t.rejects(decryptKey(file, "wrong"), {
    name: "WrongPassphraseError",
    message: `wrong passphrase: it does not open the key file of ${file.address} (or the file has been altered)`,
  });
  await t.rejects(decryptKey(file, "Right"), WrongPassphraseError);
});

/** A copy of a file with one hex field's first digit changed. */
function altered(file: KeystoreFile, change: (copy: KeystoreFile) => void): KeystoreFile {
  const copy = structuredClone(file);
  change(copy);
  return copy;
}
const flip = (text: string): string => `${text[0] === "0" ? "1" : "0"}${text.slice(1)}`;

t.test("an altered file does not open, even with the right passphrase", async (t) => {
  const { secretKey } = generateKeyPair();
  const file = await encryptKey(secretKey, "right", "toy", LIGHT);
  const alterations: [string, KeystoreFile][] = [
    [
      "ciphertext",
      altered(file, (f) => {
        f.crypto.ciphertext = flip(f.crypto.ciphertext);
      }),
    ],
    [
      "tag",
      altered(file, (f) => {
        f.crypto.tag = flip(f.crypto.tag);
      }),
    ],
    [
      "iv",
      altered(file, (f) => {
        f.crypto.cipherparams.iv = flip(f.crypto.cipherparams.iv);
      }),
    ],
    [
      "salt",
      altered(file, (f) => {
        f.crypto.kdfparams.salt = flip(f.crypto.kdfparams.salt);
      }),
    ],
    [
      "address",
      altered(file, (f) => {
        f.address = encodeAddress("toy", generateKeyPair().publicKey);
      }),
    ],
  ];
  for (const [what, copy] of alterations) {
    await t.rejects(decryptKey(copy, "right"), WrongPassphraseError, what);
  }
});

t.test("a passphrase opens alike however its characters are composed (NFC)", async (t) => {
  const { secretKey } = generateKeyPair();
  const file = await encryptKey(secretKey, "caf\u00e9", "toy", LIGHT);
  t.same(Buffer.from(await decryptKey(file, "cafe\u0301")), Buffer.from(secretKey));
});

t.test("a key file is not overwritten unless asked to", async (t) => {
  const path = join(folder, "existing.json");
  const first = await encryptKey(generateKeyPair().secretKey, "one", "toy", LIGHT);
  const second = await encryptKey(generateKeyPair().secretKey, "two", "toy", LIGHT);
  await writeKeystore(path, first);
  await t.rejects(writeKeystore(path, second), {
    name: "KeystoreExistsError",
    message: `${path} already exists: a key file is never overwritten unless asked to`,
  });
  t.same(await readKeystore(path), first, "the first is still there");
  await writeKeystore(path, second, { overwrite: true });
  t.same(await readKeystore(path), second);
  t.equal((await stat(path)).mode & 0o777, 0o600);
  t.same(
    (await readdir(folder)).filter((name) => name.endsWith(".tmp")),
    [],
  );
});

t.test("a file that is not a key file of this version is refused, saying why", async (t) => {
  const file = await encryptKey(generateKeyPair().secretKey, "x", "toy", LIGHT);
  const cases: [unknown, string][] = [
    [[], "it is not a JSON object"],
    [{ ...file, version: 3 }, "its version is 3; this toychain reads version 1"],
    [{ ...file, address: undefined }, "it names no address"],
    [{ ...file, crypto: { ...file.crypto, cipher: "aes-128-ctr" } }, 'its cipher is "aes-128-ctr", not aes-256-gcm'],
    [{ ...file, crypto: { ...file.crypto, kdf: "pbkdf2" } }, 'its kdf is "pbkdf2", not scrypt'],
    [
      { ...file, crypto: { ...file.crypto, kdfparams: { ...file.crypto.kdfparams, n: 1000 } } },
      "kdfparams: n must be a power of 2, not 1000",
    ],
    [
      { ...file, crypto: { ...file.crypto, kdfparams: { ...file.crypto.kdfparams, n: 2 ** 24 } } },
      `kdfparams: n = ${2 ** 24} and r = 8 would take more than 1 GiB of memory`,
    ],
    [
      { ...file, crypto: { ...file.crypto, ciphertext: file.crypto.ciphertext.slice(2) } },
      "ciphertext must be 32 bytes in 64 lower-case hex digits",
    ],
  ];
  for (const [value, reason] of cases) {
    t.throws(() => parseKeystore(value, "wallet.json"), {
      name: "KeystoreError",
      message: `the key file wallet.json cannot be read: ${reason}`,
    });
  }
  const typo = `${file.address.slice(0, -1)}${file.address.endsWith("q") ? "p" : "q"}`;
  t.throws(() => parseKeystore({ ...file, address: typo }, "wallet.json"), {
    message: `the key file wallet.json cannot be read: address "${typo}" is not a toy address: its checksum fails`,
  });
  const notJson = join(folder, "not-json.json");
  await writeFile(notJson, "{ nope");
  await t.rejects(readKeystore(notJson), new KeystoreError(notJson, "it is not JSON"));
  const missing = join(folder, "missing.json");
  await t.rejects(readKeystore(missing), {
    name: "KeystoreError",
    message: `the key file ${missing} cannot be read: there is no such file`,
  });
});

/** A key file made by hand, from the format documented in src/keys/keystore.ts, for the key `secretKey` and the address `address`. */
function handMade(secretKey: Uint8Array, address: string, passphrase: string): KeystoreFile {
  const salt = randomBytes(32);
  const iv = randomBytes(12);
  const key = scryptSync(passphrase, salt, 32, { N: LIGHT.n, r: LIGHT.r, p: LIGHT.p });
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(`toychain/keystore/v1\n${address}`));
  const ciphertext = Buffer.concat([cipher.update(secretKey), cipher.final()]);
  return {
    version: 1,
    address,
    crypto: {
      cipher: "aes-256-gcm",
      ciphertext: ciphertext.toString("hex"),
      cipherparams: { iv: iv.toString("hex") },
      kdf: "scrypt",
      kdfparams: { ...LIGHT, dklen: 32, salt: salt.toString("hex") },
      tag: cipher.getAuthTag().toString("hex"),
    },
  };
}

t.test("a file made by hand from the documented format opens", async (t) => {
  const { publicKey, secretKey } = generateKeyPair();
  const file = parseKeystore(handMade(secretKey, encodeAddress("toy", publicKey), "by hand"), "hand.json");
  t.same(Buffer.from(await decryptKey(file, "by hand")), Buffer.from(secretKey));
});

t.test("a file whose key is not its address's is refused once opened", async (t) => {
  const other = encodeAddress("toy", generateKeyPair().publicKey);
  const file = handMade(generateKeyPair().secretKey, other, "x");
  await t.rejects(decryptKey(file, "x"), {
    name: "KeystoreError",
    message: `the key file ${other} cannot be read: the key it holds is not the key of its address`,
  });
});
