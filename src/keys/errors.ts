/** Long texts from a request are cut in messages: the start says which one it was. */
function quote(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}...` : text);
}

/** 32 bytes that the pinned verification rule refuses as a public key, so no account can be of them. */
export class PublicKeyError extends Error {
  override readonly name = "PublicKeyError";
  constructor(readonly reason: string) {
    super(`not an Ed25519 public key of this chain: ${reason}`);
  }
}

/** A secret key of the wrong length: toychain's are RFC 8032's 32-byte seeds. */
export class SecretKeyError extends Error {
  override readonly name = "SecretKeyError";
  constructor(readonly length: number) {
    super(`an Ed25519 secret key is its 32-byte seed, not ${length} bytes`);
  }
}

/** A prefix that cannot start an address (bech32's rules, lower case only): a spec's mistake, not a user's. */
export class AddressPrefixError extends Error {
  override readonly name = "AddressPrefixError";
  constructor(
    readonly prefix: string,
    reason: string,
  ) {
    super(`the address prefix ${quote(prefix)} cannot be used: ${reason}`);
  }
}

/**
 * A text that is not an address of this chain, naming the field it came in:
 * `recipient "toy1..." is not a toy address: its checksum fails`.
 */
export class AddressError extends Error {
  override readonly name = "AddressError";
  constructor(
    readonly field: string,
    readonly text: string,
    readonly prefix: string,
    readonly reason: string,
  ) {
    super(`${field} ${quote(text)} is not a ${prefix} address: ${reason}`);
  }
}

/** A transfer that is malformed (a field out of range, a signature that is not 128 hex digits) or not signed by its sender. */
export class TransactionError extends Error {
  override readonly name: string = "TransactionError";
  constructor(
    /** The field at fault: a transaction's, or "chain id". */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A well-formed transfer whose signature is not its sender's over it, on this chain. */
export class SignatureError extends TransactionError {
  override readonly name = "SignatureError";
  constructor(readonly sender: string) {
    super("signature", `signature does not verify for sender ${sender}`);
  }
}

/** A key file that is not one this toychain reads: not JSON, another format or version, a field missing or out of range. */
export class KeystoreError extends Error {
  override readonly name = "KeystoreError";
  constructor(
    /** The file's path, or a description when the file was not read from a path. */
    readonly source: string,
    readonly reason: string,
  ) {
    super(`the key file ${source} cannot be read: ${reason}`);
  }
}

/**
 * A passphrase that does not open a key file. AES-GCM's tag cannot tell a
 * wrong passphrase from an altered ciphertext, salt or parameters, so the
 * message names both.
 */
export class WrongPassphraseError extends Error {
  override readonly name = "WrongPassphraseError";
  constructor(readonly address: string) {
    super(`wrong passphrase: it does not open the key file of ${address} (or the file has been altered)`);
  }
}

/** A key file that would be overwritten without being asked to. */
export class KeystoreExistsError extends Error {
  override readonly name = "KeystoreExistsError";
  constructor(readonly path: string) {
    super(`${path} already exists: a key file is never overwritten unless asked to`);
  }
}

/** No passphrase could be had: no TOYCHAIN_PASSPHRASE and no terminal, an empty one, or two that differ. */
export class PassphraseError extends Error {
  override readonly name = "PassphraseError";
}
