import fc from "fast-check";
import t from "tap";
import {
  type Account,
  type Block,
  checkAccountsBlock,
  connectBlock,
  feesOf,
  type Transaction,
} from "../src/chain/index.js";
import { accountsChain } from "./helpers/accounts-chain.js";
import { newWallet, type TestWallet, transfer } from "./helpers/wallets.js";

/**
 * The accounts ledger's rules alone (src/chain/accounts.ts): what a block of
 * signed transfers may do, the reasons it is refused, and the undo data that
 * disconnects it. Each refusal leaves the state unchanged, and any sequence
 * of blocks, valid or not, connected and disconnected, keeps the supply equal
 * to the rewards and every balance at zero or above.
 */

const SUBSIDY = 1000;
const { spec, prefix } = accountsChain("ledger-test", SUBSIDY);
const other = accountsChain("other").spec;

/** A block of these transfers and a reward (by default the right one) to `miner`; its proof is not the point here. */
function blockOf(index: number, transfers: Transaction[], miner: string, reward?: number): Block {
  const amount = reward ?? SUBSIDY + Number(feesOf(transfers));
  return {
    index,
    timestamp: 1_800_000_000 + index,
    transactions: [...transfers, { sender: "0", recipient: miner, amount }],
    proof: 0,
    previous_hash: "0".repeat(64),
    bits: spec.genesis.bits as string,
  };
}

/** The ledger's state, as the store keeps it: a record per address, and per block its undo data. */
class State {
  readonly accounts = new Map<string, Account>();
  readonly undo: Map<string, Account | null>[] = [];
  rewards = 0n;

  /** Checks and connects a block, or throws leaving everything as it was. */
  connect(block: Block): void {
    checkAccountsBlock(block, spec);
    const { before, after } = connectBlock(block, this.accounts);
    for (const [address, account] of after) this.accounts.set(address, account);
    this.undo.push(before);
    this.rewards += BigInt((block.transactions.at(-1) as Transaction).amount) - feesOf(block.transactions.slice(0, -1));
  }

  /** Disconnects the last block with its undo data. */
  disconnect(block: Block): void {
    const before = this.undo.pop() as Map<string, Account | null>;
    for (const [address, account] of before) {
      if (account === null) this.accounts.delete(address);
      else this.accounts.set(address, account);
    }
    this.rewards -= BigInt((block.transactions.at(-1) as Transaction).amount) - feesOf(block.transactions.slice(0, -1));
  }

  snapshot(): [string, Account][] {
    return [...this.accounts]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([address, account]) => [address, { ...account }]);
  }

  supply(): bigint {
    let sum = 0n;
    for (const account of this.accounts.values()) sum += BigInt(account.balance);
    return sum;
  }
}

const [lea, mark, miner] = [newWallet(prefix), newWallet(prefix), newWallet(prefix)] as [
  TestWallet,
  TestWallet,
  TestWallet,
];
const pay = (from: TestWallet, to: TestWallet, amount: number, nonce: number, fee = 0): Transaction =>
  transfer(spec.id, from, to.address, { amount, fee, nonce });

t.test("a block moves coins, counts each sender's nonce, pays its fees to its miner, and can be undone", async (t) => {
  const state = new State();
  state.connect(blockOf(2, [], lea.address));
  t.same(state.accounts.get(lea.address), { balance: SUBSIDY, nonce: 0 }, "the reward funds Lea");

  const before = state.snapshot();
  const block = blockOf(
    3,
    [pay(lea, mark, 300, 1, 5), pay(lea, mark, 100, 2, 7), pay(mark, lea, 50, 1, 1)],
    miner.address,
  );
  state.connect(block);
  t.same(state.accounts.get(lea.address), { balance: SUBSIDY - 300 - 5 - 100 - 7 + 50, nonce: 2 });
  t.same(
    state.accounts.get(mark.address),
    { balance: 300 + 100 - 50 - 1, nonce: 1 },
    "Mark spends what he got earlier in the block",
  );
  t.same(
    state.accounts.get(miner.address),
    { balance: SUBSIDY + 13, nonce: 0 },
    "the miner gets the subsidy and the fees",
  );
  t.equal(state.supply(), 2n * BigInt(SUBSIDY), "fees move coins, they make none");

  state.disconnect(block);
  t.same(state.snapshot(), before, "its undo data puts every account back");
});

t.test("a block that breaks a rule is refused with its reason, and the state is unchanged", async (t) => {
  const state = new State();
  state.connect(blockOf(2, [], lea.address));
  state.connect(blockOf(3, [pay(lea, mark, 10, 1)], miner.address));
  const before = state.snapshot();

  const forged = { ...pay(lea, mark, 10, 2), amount: 20 };
  const cases: [string, Block, RegExp][] = [
    ["a forged signature", blockOf(4, [forged], miner.address), /transaction 1: .*signature/],
    [
      "a signature made for another chain",
      blockOf(4, [transfer(other.id, lea, mark.address, { amount: 10, nonce: 2 })], miner.address),
      /transaction 1: .*signature/,
    ],
    [
      "a replayed transaction",
      blockOf(4, [pay(lea, mark, 10, 1)], miner.address),
      /nonce 1 from .*, whose next is 2 \(already used\)/,
    ],
    [
      "a nonce gap",
      blockOf(4, [pay(lea, mark, 10, 3)], miner.address),
      /nonce 3 from .*, whose next is 2 \(one is missing before it\)/,
    ],
    [
      "an overspend split across two transactions of one block",
      blockOf(4, [pay(lea, mark, 600, 2), pay(lea, mark, 600, 3)], miner.address),
      /transaction 2: .* spends 600 \(amount 600 and fee 0\) but holds 390/,
    ],
    [
      "a reward above subsidy plus fees",
      blockOf(4, [pay(lea, mark, 10, 2, 3)], miner.address, SUBSIDY + 4),
      /the reward must be the subsidy 1000 plus the block's fees 3, 1003, not 1004/,
    ],
    [
      "a reward below it",
      blockOf(4, [pay(lea, mark, 10, 2, 3)], miner.address, SUBSIDY),
      /the reward must be the subsidy 1000 plus the block's fees 3, 1003, not 1000/,
    ],
    [
      "a spender with nothing",
      blockOf(4, [pay(mark, lea, 5, 1), pay(miner, lea, 1, 1), pay(newWallet(prefix), lea, 1, 1)], miner.address),
      /transaction 3: .* spends 1 \(amount 1 and fee 0\) but holds 0/,
    ],
    [
      "a mistyped recipient",
      blockOf(
        4,
        [
          {
            ...pay(lea, mark, 10, 2),
            recipient: `${mark.address.slice(0, -1)}${mark.address.endsWith("q") ? "p" : "q"}`,
          },
        ],
        miner.address,
      ),
      /transaction 1: recipient/,
    ],
    [
      "a transfer without its fee",
      blockOf(4, [{ ...pay(lea, mark, 10, 2), fee: undefined }], miner.address),
      /transaction 1: fee undefined is not a whole number/,
    ],
    [
      "a reward from a transfer's sender",
      blockOf(4, [{ ...pay(lea, mark, 10, 2), sender: "0" }], miner.address),
      /only the last transaction, the reward, may come from "0"/,
    ],
    [
      "a reward to a name",
      { ...blockOf(4, [], miner.address), transactions: [{ sender: "0", recipient: "Mark", amount: SUBSIDY }] },
      /the reward's recipient/,
    ],
  ];
  for (const [what, block, reason] of cases) {
    t.throws(() => state.connect(block), { name: "InvalidChainError", message: reason }, what);
    t.same(state.snapshot(), before, `${what}: the state is unchanged`);
  }
});

t.test(
  "any sequence of blocks, valid or not, connected and disconnected, keeps the supply and no balance below zero",
  async (t) => {
    const wallets = [lea, mark, miner, newWallet(prefix)];
    const transferArb = fc.record({
      from: fc.nat(wallets.length - 1),
      to: fc.nat(wallets.length - 1),
      amount: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 5000 })),
      fee: fc.nat(20),
      /** 0: the sender's next nonce; otherwise off by this much (a replay or a gap). */
      nonceSkew: fc.oneof(
        { weight: 8, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) },
      ),
      forge: fc.nat(9).map((n) => n === 0),
    });
    const step = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant("block" as const),
          miner: fc.nat(wallets.length - 1),
          txs: fc.array(transferArb, { maxLength: 6 }),
          rewardSkew: fc.constantFrom(0, 0, 0, 0, 1, -1),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant("reorg" as const), depth: fc.integer({ min: 1, max: 3 }) }),
      },
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
        const state = new State();
        const chain: Block[] = [];
        for (const s of steps) {
          if (s.kind === "reorg") {
            for (let i = 0; i < s.depth && chain.length > 0; i++) state.disconnect(chain.pop() as Block);
          } else {
            const nonces = new Map<string, number>();
            const txs = s.txs.map((tx) => {
              const from = wallets[tx.from] as TestWallet;
              const next = (nonces.get(from.address) ?? state.accounts.get(from.address)?.nonce ?? 0) + 1;
              nonces.set(from.address, next);
              const signed = pay(
                from,
                wallets[tx.to] as TestWallet,
                tx.amount,
                Math.max(1, next + tx.nonceSkew),
                tx.fee,
              );
              return tx.forge ? { ...signed, amount: signed.amount + 1 } : signed;
            });
            const block = blockOf(
              chain.length + 2,
              txs,
              (wallets[s.miner] as TestWallet).address,
              SUBSIDY + Number(feesOf(txs)) + s.rewardSkew,
            );
            const before = state.snapshot();
            try {
              state.connect(block);
              chain.push(block);
            } catch (error) {
              if ((error as Error).name !== "InvalidChainError") throw error;
              if (JSON.stringify(state.snapshot()) !== JSON.stringify(before)) return false;
            }
          }
          if (state.supply() !== state.rewards) return false;
          for (const account of state.accounts.values()) if (account.balance < 0) return false;
        }
        return true;
      }),
      { numRuns: 60 },
    );
    t.pass("supply equals the rewards, and no balance went below zero, in every sequence");
  },
);
