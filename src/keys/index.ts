export { addressPrefix, DECODED_CACHE_SIZE, decodeAddress, encodeAddress } from "./address.js";
export {
  checkPublicKey,
  generateKeyPair,
  KEY_CACHE_SIZE,
  type KeyPair,
  PUBLIC_KEY_BYTES,
  publicKeyFailure,
  publicKeyOf,
  SECRET_KEY_BYTES,
  SIGNATURE_BYTES,
  sign,
  signer,
  verify,
} from "./ed25519.js";
export {
  AddressError,
  AddressPrefixError,
  KeystoreError,
  KeystoreExistsError,
  PassphraseError,
  PublicKeyError,
  SecretKeyError,
  SignatureError,
  TransactionError,
  WrongPassphraseError,
} from "./errors.js";
export { isLowerHex } from "./hex.js";
export {
  DEFAULT_SCRYPT,
  decryptKey,
  encryptKey,
  KEYSTORE_VERSION,
  type KeystoreFile,
  parseKeystore,
  readKeystore,
  type ScryptParams,
  writeKeystore,
} from "./keystore.js";
export { PASSPHRASE_VARIABLE, readPassphrase } from "./passphrase.js";
export { L, pointFailure, SMALL_ORDER_ENCODINGS } from "./points.js";
export {
  checkTransfer,
  messageId,
  type SignedTransaction,
  signedTransferBytes,
  signingMessage,
  signingText,
  signTransaction,
  type TransferSignature,
  transactionId,
  type UnsignedTransaction,
  verifyTransaction,
} from "./transaction.js";
