import { randomBytes } from "node:crypto";
import { access, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  encodeAddress,
  encryptKey,
  generateKeyPair,
  PASSPHRASE_VARIABLE,
  readKeystore,
  writeKeystore,
} from "../keys/index.js";

import type { Logger } from "../log.js";

/** The node's own key, in its data dir, that its rewards go to when no --reward-address is given. */
export const REWARD_KEY_FILE = "reward-key.json";
/** Beside it, the passphrase it was sealed with when TOYCHAIN_PASSPHRASE was not set. */
export const REWARD_PASSPHRASE_FILE = "reward-key.passphrase";

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Where this node's rewards go on an accounts chain: the --reward-address
 * given, or the address of a key the node keeps in its data dir, made at
 * its first start as a wallet key file (see `toychain wallet`), so that the
 * wallet can spend what it earns. The file is sealed with
 * TOYCHAIN_PASSPHRASE when set; else with a random passphrase written
 * beside it (mode 0600), as an unencrypted wallet is the default of Bitcoin
 * Core: a node that starts by itself has nobody to ask. A node in memory
 * makes a key that lives as long as it does, and says so.
 */
export async function rewardAddress(
  prefix: string,
  { given, dataDir, log }: { given: string | undefined; dataDir: string | undefined; log: Logger },
): Promise<string> {
  if (given !== undefined) return given;
  if (dataDir === undefined) {
    const address = encodeAddress(prefix, generateKeyPair().publicKey);
    log.warn(
      { rewardAddress: address },
      "rewards go to a key kept in memory only, lost when the node stops: give --reward-address to keep them",
    );
    return address;
  }
  const path = join(dataDir, REWARD_KEY_FILE);
  if (await exists(path)) return (await readKeystore(path)).address;
  const fromEnvironment = process.env[PASSPHRASE_VARIABLE];
  const passphrase =
    fromEnvironment !== undefined && fromEnvironment !== "" ? fromEnvironment : randomBytes(16).toString("hex");
  const { secretKey } = generateKeyPair();
  const file = await encryptKey(secretKey, passphrase, prefix);
  if (passphrase !== fromEnvironment) {
    await writeFile(join(dataDir, REWARD_PASSPHRASE_FILE), `${passphrase}\n`, { mode: 0o600 });
  }
  await writeKeystore(path, file);
  log.info(
    { rewardAddress: file.address, keyFile: path },
    passphrase === fromEnvironment
      ? `rewards go to ${file.address}, whose key this node made in ${path}, sealed with ${PASSPHRASE_VARIABLE}`
      : `rewards go to ${file.address}, whose key this node made in ${path}, sealed with the passphrase in ${REWARD_PASSPHRASE_FILE} beside it`,
  );
  return file.address;
}
