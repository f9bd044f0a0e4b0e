import fs from "node:fs";
import path from "node:path";
import type { Transaction } from "../../src/chain/index.js";
import {
  decryptKey,
  encodeAddress,
  generateKeyPair,
  publicKeyOf,
  readKeystore,
  signTransaction,
} from "../../src/keys/index.js";
import { REWARD_KEY_FILE, REWARD_PASSPHRASE_FILE } from "../../src/ledger/index.js";

/** A key pair and its address on a chain with this prefix, for tests. */
export interface TestWallet {
  address: string;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function newWallet(prefix: string): TestWallet {
  const { publicKey, secretKey } = generateKeyPair();
  return { address: encodeAddress(prefix, publicKey), secretKey, publicKey };
}

/** A transfer from `from`, signed for the chain `chainId`. */
export function transfer(
  chainId: string,
  from: TestWallet,
  to: string,
  { amount, fee = 0, nonce }: { amount: number; fee?: number; nonce: number },
): Transaction {
  return signTransaction(chainId, from.secretKey, { sender: from.address, recipient: to, amount, fee, nonce });
}

/** The wallet of a node's reward key (its data dir's reward-key.json, sealed with the passphrase beside it). */
export async function rewardWallet(dataDir: string): Promise<TestWallet> {
  const file = await readKeystore(path.join(dataDir, REWARD_KEY_FILE));
  const passphrase = fs.readFileSync(path.join(dataDir, REWARD_PASSPHRASE_FILE), "utf8").trim();
  const secretKey = await decryptKey(file, passphrase);
  return { address: file.address, secretKey, publicKey: publicKeyOf(secretKey) };
}
