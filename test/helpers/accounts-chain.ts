import {
  type Block,
  blockHash,
  type ChainSpec,
  feesOf,
  newChainSpec,
  specFromFile,
  type Transaction,
} from "../../src/chain/index.js";

/** An accounts chain for tests of the ledger without processes: its spec, and its address prefix. */
export interface AccountsChain {
  spec: ChainSpec;
  prefix: string;
  subsidy: number;
  /** A block on `parent` holding `transfers`, then the reward (by default the right one) to `to`; its proof is not checked. */
  blockOn(
    parent: Block,
    transfers: Transaction[],
    to: { address: string },
    options?: { salt?: number; reward?: number },
  ): Block;
}

export function accountsChain(name: string, subsidy = 1000): AccountsChain {
  const spec = specFromFile(
    newChainSpec({
      name,
      blockTime: 10,
      hashesPerSecond: 1e6,
      now: 1_800_000_000,
      ledger: "accounts",
      reward: subsidy,
    }),
  );
  const prefix = spec.ledger.kind === "accounts" ? spec.ledger.prefix : "";
  return {
    spec,
    prefix,
    subsidy,
    blockOn: (parent, transfers, to, { salt = 0, reward } = {}) => ({
      index: parent.index + 1,
      timestamp: parent.timestamp + 10 + salt,
      transactions: [
        ...transfers,
        { sender: "0", recipient: to.address, amount: reward ?? subsidy + Number(feesOf(transfers)) },
      ],
      proof: salt,
      previous_hash: blockHash(parent),
      bits: spec.genesis.bits as string,
    }),
  };
}
