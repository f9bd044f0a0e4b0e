export { addressPrefix, decodeAddress, encodeAddress } from "./address.js";
export {
  checkPublicKey,
  generateKeyPair,
  type KeyPair,
  PUBLIC_KEY_BYTES,
  publicKeyFailure,
  publicKeyOf,
  SECRET_KEY_BYTES,
  SIGNATURE_BYTES,
  sign,
  verify,
} from "./ed25519.js";
export {
  AddressError,
  AddressPrefixError,
  PublicKeyError,
  SecretKeyError,
  SignatureError,
  TransactionError,
} from "./errors.js";
export { L, pointFailure, SMALL_ORDER_ENCODINGS } from "./points.js";
export {
  type SignedTransaction,
  signingMessage,
  signTransaction,
  transactionId,
  type UnsignedTransaction,
  verifyTransaction,
} from "./transaction.js";
