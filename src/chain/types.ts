/** A transfer of `amount` from `sender` to `recipient`; sender "0" marks a mining reward. */
export interface Transaction {
  sender: string;
  recipient: string;
  amount: number;
}

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
