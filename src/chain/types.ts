/**
 * A transfer of `amount` from `sender` to `recipient`; sender "0" marks a
 * mining reward. On the walkthrough's chain (a names ledger) that is all; on
 * an accounts chain, every transfer also has its fee, the sender's nonce and
 * the sender's signature (see src/keys), and the reward has none of them.
 */
export interface Transaction {
  sender: string;
  recipient: string;
  amount: number;
  fee?: number;
  nonce?: number;
  /** Ed25519, 128 hex digits. */
  signature?: string;
}

/** A transaction of the walkthrough's chain (a names ledger): who pays, who is paid, how much. */
export type NamedTransaction = Pick<Transaction, "sender" | "recipient" | "amount">;

/** A block as the walkthrough shows it and as peers exchange it. */
export interface Block {
  index: number;
  timestamp: number;
  transactions: Transaction[];
  proof: number;
  previous_hash: string;
  /** The target the proof reaches, as compact bits in 8 hex digits: on a retargeting chain, every block states it. */
  bits?: string;
}

/** What the proof of work covers: the whole block but its proof. */
export type BlockTemplate = Omit<Block, "proof">;
