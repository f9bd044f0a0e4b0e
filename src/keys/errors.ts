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
