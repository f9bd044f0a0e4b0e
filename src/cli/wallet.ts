import { access } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ADDRESS_PREFIX_PATTERN } from "../chain/index.js";
import {
  AddressError,
  addressPrefix,
  decodeAddress,
  decryptKey,
  encryptKey,
  generateKeyPair,
  KeystoreError,
  KeystoreExistsError,
  type KeystoreFile,
  PASSPHRASE_VARIABLE,
  PassphraseError,
  readKeystore,
  readPassphrase,
  signTransaction,
  WrongPassphraseError,
  writeKeystore,
} from "../keys/index.js";
import { InvalidPeerAddressError, parsePeerAddress } from "../peers/index.js";
import type { AccountBody, StatsChainBody } from "../schemas/index.js";
import { NodeAnswerError, NodeClient, NodeUnreachableError } from "./node-client.js";

/**
 * `toychain wallet ...`: a key file (src/keys' keystore) and the node's API,
 * for people. The passphrase comes from TOYCHAIN_PASSPHRASE or the
 * terminal, never from the command line, where `ps` and the shell's history
 * would show it.
 */

const DEFAULT_NODE = "http://127.0.0.1:5000";
const DEFAULT_PREFIX = "toy";

const NEW_USAGE = `Usage: toychain wallet new --file <file> [--prefix <p>]

Makes a new key, seals it in <file> with a passphrase (asked twice on the
terminal, or ${PASSPHRASE_VARIABLE}) and prints its address. An existing file
is never overwritten. Keep the file and its passphrase: without both, the
key's coins cannot be spent.

  --file <file>    where to write the key file (refused if it exists)
  --prefix <p>     the address prefix of the chain it is for, 1-16 lowercase letters
                   (default ${DEFAULT_PREFIX}; toychain chain show names a chain's)
  -h, --help       print this help and exit
`;

const ADDRESS_USAGE = `Usage: toychain wallet address --file <file>

Prints the address of a key file (it is stored in the clear: no passphrase).

  --file <file>    the key file
  -h, --help       print this help and exit
`;

const BALANCE_USAGE = `Usage: toychain wallet balance --file <file> [--node <url>]

Asks a node for the key's account: its confirmed balance and nonce, and the
transfers pending from and to it. No passphrase.

  --file <file>    the key file
  --node <url>     the node to ask, http(s)://host:port or host:port (default ${DEFAULT_NODE})
  -h, --help       print this help and exit
`;

const SEND_USAGE = `Usage: toychain wallet send --file <file> --to <address> --amount <n> [--fee <n>] [--node <url>]

Pays <n> to an address: reads the node's chain (its id, which the signature
covers, and its address prefix) and the key's next nonce (its confirmed one
plus those pending), opens the key file with its passphrase, signs, posts
the transfer, and prints its id and status. A --to whose checksum fails is
refused before anything is sent.

  --file <file>    the key file of the account that pays
  --to <address>   the address paid, of the node's chain
  --amount <n>     what it gets, a whole number of the smallest unit (1 or more)
  --fee <n>        what the block's miner gets on top, a whole number (default 0);
                   blocks take the highest fee per byte first
  --node <url>     the node to send it to, http(s)://host:port or host:port (default ${DEFAULT_NODE})
  -h, --help       print this help and exit
`;

export const WALLET_USAGE = `Usage: toychain wallet new --file <file> [--prefix <p>]
       toychain wallet address --file <file>
       toychain wallet balance --file <file> [--node <url>]
       toychain wallet send --file <file> --to <address> --amount <n> [--fee <n>] [--node <url>]

A wallet is a key file: an Ed25519 key sealed with a passphrase (scrypt and
AES-256-GCM). The passphrase is read from ${PASSPHRASE_VARIABLE}, or asked on the
terminal; never from the command line. A node's own reward key
(reward-key.json in its data dir) is a key file too.

new      make a key file, and print its address
address  print a key file's address
balance  ask a node for the key's balance, nonce and pending transfers
send     sign a transfer for the node's chain, post it, and print its id and status

Run "toychain wallet <command> --help" for a command's flags.
`;

const USAGES: Record<string, string> = {
  new: NEW_USAGE,
  address: ADDRESS_USAGE,
  balance: BALANCE_USAGE,
  send: SEND_USAGE,
};

/** A bad subcommand, flag or value: the CLI prints it and exits with code 2. */
export class WalletUsageError extends Error {
  override readonly name = "WalletUsageError";
}

/** What the wallet cannot do as asked: a node on another chain, a key file in the way. */
export class WalletError extends Error {
  override readonly name = "WalletError";
}

/** The errors a wallet command ends with, exit code 1: each message is one line that says what to do. */
export function isWalletFailure(error: unknown): error is Error {
  return [
    WalletError,
    NodeUnreachableError,
    NodeAnswerError,
    KeystoreError,
    KeystoreExistsError,
    WrongPassphraseError,
    PassphraseError,
  ].some((kind) => error instanceof kind);
}

type Options = Record<string, { type: "string" }>;

/** The flags of a command, each required unless it has a default; `help` was handled before. */
function flags<T extends string>(argv: string[], names: readonly T[], command: string): Partial<Record<T, string>> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: Object.fromEntries(names.map((name) => [name, { type: "string" }])) as Options,
  });
  if (positionals.length > 0) {
    throw new WalletUsageError(`wallet ${command} takes no argument ${JSON.stringify(positionals[0])}`);
  }
  return values as Partial<Record<T, string>>;
}

function required(value: string | undefined, flag: string, command: string): string {
  if (value === undefined) throw new WalletUsageError(`wallet ${command} needs --${flag}`);
  return value;
}

/** A whole number from `least` to 2^53-1, as written (no 1e3, no 1.0). */
function wholeNumber(flag: string, value: string, least: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < least) {
    throw new WalletUsageError(
      `--${flag} must be a whole number from ${least} to 2^53-1, not ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** --node: http(s)://host:port or host:port, as /nodes/register reads a node's address. */
function nodeOf(value: string | undefined): NodeClient {
  try {
    return new NodeClient(parsePeerAddress(value ?? DEFAULT_NODE).url);
  } catch (error) {
    if (error instanceof InvalidPeerAddressError) {
      throw new WalletUsageError(`--node ${JSON.stringify(value)} is not a node's address: ${error.reason}`);
    }
    throw error;
  }
}

/** The node's chain, which must keep accounts of the key file's prefix. */
async function chainFor(node: NodeClient, file: string, key: KeystoreFile): Promise<StatsChainBody["chain"]> {
  const chain = await node.chain();
  if (chain.ledger !== "accounts" || chain.address_prefix === null) {
    throw new WalletError(
      `the node at ${node.url} is on the chain ${chain.name}, which keeps no accounts (its ledger is ${chain.ledger}): ` +
        'a wallet needs a chain made with "toychain chain new --ledger accounts"',
    );
  }
  const prefix = addressPrefix(key.address);
  if (prefix !== chain.address_prefix) {
    throw new WalletError(
      `the key file ${file} is for ${prefix}1... addresses (${key.address}), but the node at ${node.url} is on the chain ${chain.name}, ` +
        `whose addresses start with ${chain.address_prefix}1: make a key for it with "toychain wallet new --prefix ${chain.address_prefix}"`,
    );
  }
  return chain;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;

/** What `wallet balance` prints of an account. */
function describeAccount({ address, balance, nonce, pending }: AccountBody): string {
  const sum = (values: bigint[]): bigint => values.reduce((total, value) => total + value, 0n);
  const out = sum(pending.from.map(({ transaction }) => BigInt(transaction.amount) + BigInt(transaction.fee)));
  const into = sum(pending.to.map(({ transaction }) => BigInt(transaction.amount)));
  return [
    `address    ${address}`,
    `balance    ${balance}`,
    `nonce      ${nonce}`,
    `sending    ${pending.from.length === 0 ? "nothing pending" : `${plural(pending.from.length, "pending transfer")}, ${out} with fees`}`,
    `receiving  ${pending.to.length === 0 ? "nothing pending" : `${plural(pending.to.length, "pending transfer")}, ${into}`}`,
    "",
  ].join("\n");
}

async function walletNew(argv: string[], out: (text: string) => void, log: (line: string) => void): Promise<void> {
  const values = flags(argv, ["file", "prefix"], "new");
  const file = required(values.file, "file", "new");
  const prefix = values.prefix ?? DEFAULT_PREFIX;
  if (!new RegExp(ADDRESS_PREFIX_PATTERN).test(prefix)) {
    throw new WalletUsageError(`--prefix must be 1 to 16 lowercase letters, not ${JSON.stringify(prefix)}`);
  }
  // Before the passphrase is asked: a file in the way is said at once.
  const taken = await access(file).then(
    () => true,
    () => false,
  );
  if (taken) throw new WalletError(`${file} exists: a key file is never overwritten; give another --file`);
  const passphrase = await readPassphrase({ confirm: true });
  const key = await encryptKey(generateKeyPair().secretKey, passphrase, prefix);
  await writeKeystore(file, key).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof KeystoreExistsError) throw error;
    throw new WalletError(`cannot write ${file}: ${error.message}`);
  });
  log(`wrote ${file}: keep it and its passphrase, without which its coins cannot be spent`);
  out(`${key.address}\n`);
}

async function walletAddress(argv: string[], out: (text: string) => void): Promise<void> {
  const file = required(flags(argv, ["file"], "address").file, "file", "address");
  out(`${(await readKeystore(file)).address}\n`);
}

async function walletBalance(argv: string[], out: (text: string) => void): Promise<void> {
  const values = flags(argv, ["file", "node"], "balance");
  const file = required(values.file, "file", "balance");
  const node = nodeOf(values.node);
  const key = await readKeystore(file);
  await chainFor(node, file, key);
  out(describeAccount(await node.account(key.address)));
}

async function walletSend(argv: string[], out: (text: string) => void): Promise<void> {
  const values = flags(argv, ["file", "to", "amount", "fee", "node"], "send");
  const file = required(values.file, "file", "send");
  const to = required(values.to, "to", "send");
  const amount = wholeNumber("amount", required(values.amount, "amount", "send"), 1);
  const fee = values.fee === undefined ? 0 : wholeNumber("fee", values.fee, 0);
  const node = nodeOf(values.node);
  const key = await readKeystore(file);
  try {
    decodeAddress(addressPrefix(key.address) ?? "", to, "--to");
  } catch (error) {
    if (error instanceof AddressError) throw new WalletUsageError(`${error.message}; nothing was sent`);
    throw error;
  }
  const chain = await chainFor(node, file, key);
  const secretKey = await decryptKey(key, await readPassphrase());
  // Read after the passphrase, which may take a person a while: the nonce is the one at the moment of sending.
  const { next_nonce: nonce } = await node.account(key.address);
  const transfer = signTransaction(chain.id, secretKey, { sender: key.address, recipient: to, amount, fee, nonce });
  const { id } = await node.send(transfer);
  if (id === undefined) throw new WalletError(`the node at ${node.url} took the transfer but gave no id`);
  const found = await node.transaction(id);
  const status =
    found.status === "pending"
      ? "pending"
      : `confirmed in block ${found.block} (${plural(found.confirmations, "confirmation")})`;
  out(`sent ${amount} to ${to}, fee ${fee}, nonce ${nonce}\nid      ${id}\nstatus  ${status}\n`);
}

/** Runs `toychain wallet <argv>`; throws a WalletUsageError for what the user must change, or a wallet failure. */
export async function runWalletCommand(
  argv: string[],
  out: (text: string) => void,
  log: (line: string) => void,
): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    out(WALLET_USAGE);
    return;
  }
  const usage = USAGES[command];
  if (usage === undefined) {
    throw new WalletUsageError(`unknown wallet command ${JSON.stringify(command)}: new, address, balance or send`);
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    out(usage);
    return;
  }
  try {
    if (command === "new") return await walletNew(rest, out, log);
    if (command === "address") return await walletAddress(rest, out);
    if (command === "balance") return await walletBalance(rest, out);
    return await walletSend(rest, out);
  } catch (error) {
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      throw new WalletUsageError(error.message);
    }
    throw error;
  }
}
