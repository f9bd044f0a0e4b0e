import { hash } from "node:crypto";
import { addressPrefix, decodeAddress } from "./address.js";
import { publicKeyOf, SIGNATURE_BYTES, sign, verify } from "./ed25519.js";
import { SignatureError, TransactionError } from "./errors.js";
import { isLowerHex } from "./hex.js";

/**
 * A signed transfer of the accounts ledger: `amount` from `sender` to
 * `recipient`, paying `fee`, the sender's `nonce`-th transfer, signed by the
 * sender's key over signingMessage. Amounts and fees are whole numbers of
 * the smallest unit.
 */
export interface SignedTransaction {
  /** The payer's address; its key signs. */
  sender: string;
  /** The payee's address. */
  recipient: string;
  /** What the recipient gets, at least 1. */
  amount: number;
  /** What the block's miner gets, 0 or more. */
  fee: number;
  /** The sender's count of sent transfers, plus one: a transfer is valid once, in order. */
  nonce: number;
  /** The Ed25519 signature, 64 bytes in 128 lower-case hex digits. */
  signature: string;
}

/** A transfer before its signature. */
export type UnsignedTransaction = Omit<SignedTransaction, "signature">;

/**
 * The domain tag that starts every signed transfer, so that a signature over
 * one cannot be passed off as a signature over anything else a toychain key
 * signs, now or in a later version.
 */
const DOMAIN = "toychain/transfer/v1\n";

/** The chain id signingMessage last found well formed: a node signs and checks for one chain, whose id is tested once. */
let checkedChainId = "";

/** A field's value as a message shows it: NaN and 1.5 as such, strings quoted. */
function shown(value: unknown): string {
  if (value === undefined) return "missing";
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

function checkWhole(tx: UnsignedTransaction, field: "amount" | "fee" | "nonce", least: number): void {
  const value: unknown = tx[field];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < least) {
    throw new TransactionError(
      field,
      `${field} must be a whole number from ${least} to ${Number.MAX_SAFE_INTEGER}, not ${shown(value)}`,
    );
  }
}

function checkText(tx: UnsignedTransaction, field: "sender" | "recipient"): void {
  const value: unknown = tx[field];
  if (typeof value !== "string") throw new TransactionError(field, `${field} must be an address, not ${shown(value)}`);
}

/**
 * The bytes a sender signs: the domain tag, the chain id (the genesis
 * hash, in 64 lower-case hex digits) and a newline, then the transfer's
 * RFC 8785 canonical JSON (keys sorted, no whitespace). The chain id makes a
 * payment signed for one chain worthless on any other. The fields are
 * checked first, so that no two transfers share a message: strings and
 * safe integers (amount and nonce from 1, fee from 0), whose JSON.stringify
 * forms are RFC 8785's.
 */
export function signingMessage(chainId: string, tx: UnsignedTransaction): Uint8Array {
  return Buffer.from(signingText(chainId, tx), "utf8");
}

/** signingMessage's bytes as text, which it encodes to UTF-8: for a writer that encodes it in place (SignatureBatchBuilder). */
export function signingText(chainId: string, tx: UnsignedTransaction): string {
  if (chainId !== checkedChainId) {
    if (!isLowerHex(chainId, 64)) {
      throw new TransactionError("chain id", "the chain id must be the genesis hash, 64 lower-case hex digits");
    }
    checkedChainId = chainId;
  }
  checkText(tx, "sender");
  checkText(tx, "recipient");
  checkWhole(tx, "amount", 1);
  checkWhole(tx, "fee", 0);
  checkWhole(tx, "nonce", 1);
  const { amount, fee, nonce, recipient, sender } = tx;
  const json = `{"amount":${amount},"fee":${fee},"nonce":${nonce},"recipient":${JSON.stringify(recipient)},"sender":${JSON.stringify(sender)}}`;
  return `${DOMAIN}${chainId}\n${json}`;
}

/**
 * A transfer's id: the SHA-256, in hex, of the message its sender signs,
 * not of the signature. The pinned rule leaves no one but the signer a
 * second valid signature (S < L, R canonical), but the signer can always
 * make another one (another nonce r): an id over the signature would give
 * one payment several ids, the malleability that let Bitcoin's transaction
 * ids be changed in flight. Over the message, a payment has one id.
 */
export function transactionId(chainId: string, tx: UnsignedTransaction): string {
  // The text hashed as UTF-8, as signingMessage encodes it: no Buffer of its own (a switch takes an id a transfer).
  return hash("sha256", signingText(chainId, tx), "hex");
}

/** The id of the transfer whose signingMessage is `message` (transactionId, when the message is at hand). */
export const messageId = (message: Uint8Array): string => hash("sha256", message, "hex");

/** What a signature adds to a transfer's canonical JSON: `,"signature":"` and its 128 hex digits, then `"`. */
const SIGNATURE_FIELD_BYTES = ',"signature":""'.length + SIGNATURE_BYTES * 2;
/** What a signing message holds before its JSON: the domain tag, a chain id and a newline. */
const MESSAGE_HEAD_BYTES = DOMAIN.length + 64 + 1;

/**
 * The size in bytes of a signed transfer's canonical JSON, as a block holds
 * it (the chain's transactionJson), from its signingMessage: the same JSON,
 * whose keys sort before "signature", with the signature's field added.
 */
export const signedTransferBytes = (message: Uint8Array): number =>
  message.length - MESSAGE_HEAD_BYTES + SIGNATURE_FIELD_BYTES;

/**
 * Signs a transfer with the sender's secret key (its 32-byte seed). What no
 * node would accept is refused before it is signed: a recipient that is not
 * an address of the sender's chain (AddressError, naming it), a sender that
 * is not this key's address (TransactionError).
 */
export function signTransaction(chainId: string, secretKey: Uint8Array, tx: UnsignedTransaction): SignedTransaction {
  const message = signingMessage(chainId, tx);
  const prefix = addressPrefix(tx.sender);
  if (prefix === undefined) {
    throw new TransactionError(
      "sender",
      `sender ${JSON.stringify(tx.sender)} is not an address: it has no prefix and "1"`,
    );
  }
  const senderKey = decodeAddress(prefix, tx.sender, "sender");
  decodeAddress(prefix, tx.recipient, "recipient");
  if (!Buffer.from(senderKey).equals(publicKeyOf(secretKey))) {
    throw new TransactionError("sender", `sender ${tx.sender} is not the address of the key that signs`);
  }
  const { sender, recipient, amount, fee, nonce } = tx;
  return {
    sender,
    recipient,
    amount,
    fee,
    nonce,
    signature: Buffer.from(sign(secretKey, message)).toString("hex"),
  };
}

/**
 * What verifying a transfer's signature takes once its other checks have
 * passed: its sender's public key, the message it signed (signingMessage)
 * and the signature's 64 bytes.
 */
export interface TransferSignature {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * Every check of verifyTransaction but the signature's own, the cheap ones:
 * both addresses are of this chain (prefix) and decode, the fields are in
 * range, and the signature is 128 lower-case hex digits. Throws AddressError
 * naming the field, or TransactionError; returns what verifying the
 * signature takes, which may then be done elsewhere (a worker thread).
 */
export function checkTransfer(chainId: string, prefix: string, tx: SignedTransaction): TransferSignature {
  const message = signingMessage(chainId, tx);
  const publicKey = decodeAddress(prefix, tx.sender, "sender");
  decodeAddress(prefix, tx.recipient, "recipient");
  const signature: unknown = tx.signature;
  if (!isLowerHex(signature, SIGNATURE_BYTES * 2)) {
    const found =
      typeof signature !== "string"
        ? `, not ${shown(signature)}`
        : signature.length !== SIGNATURE_BYTES * 2
          ? `, not ${signature.length}`
          : ": it has characters other than 0-9 and a-f";
    throw new TransactionError(
      "signature",
      `signature must be ${SIGNATURE_BYTES * 2} lower-case hex digits (${SIGNATURE_BYTES} bytes)${found}`,
    );
  }
  return { publicKey, message, signature: Buffer.from(signature, "hex") };
}

/**
 * Checks a transfer as every node does: checkTransfer's checks, then the
 * signature is the sender's over signingMessage by the pinned rule
 * (ed25519.ts). Throws AddressError naming the field, TransactionError, or
 * SignatureError (`signature does not verify for sender toy1...`). Pure: no
 * I/O, no ledger; the nonce's and the balance's turn come later.
 */
export function verifyTransaction(chainId: string, prefix: string, tx: SignedTransaction): void {
  const { publicKey, message, signature } = checkTransfer(chainId, prefix, tx);
  if (!verify(publicKey, message, signature)) throw new SignatureError(tx.sender);
}
