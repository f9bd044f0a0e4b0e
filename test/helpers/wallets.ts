import type { Transaction } from "../../src/chain/index.js";
import { encodeAddress, generateKeyPair, signTransaction } from "../../src/keys/index.js";

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
