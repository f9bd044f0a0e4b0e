import t from "tap";
import { type ChainBody, chainProblem, reward, type Tx } from "./helpers/chain-check.js";
import { request, startNode } from "./helpers/node-process.js";

/** Mining runs off the main thread: a real node keeps answering while its workers search. */

interface Mined {
  message: string;
  index: number;
  transactions: Tx[];
  previous_hash: string;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

t.test("/chain keeps answering quickly while every worker mines", async (t) => {
  // 40 bits: about 10^12 hashes, hours even for the native kernel (tens of MH/s), far beyond this test.
  const node = await startNode(["--threads", "2", "--difficulty", "40"], { t });

  const mining = fetch(`${node.url}/mine`).then(
    (response) => response.status,
    () => "stopped", // the node is stopped under this request: expected
  );
  // The job has started once the workers are searching; give /mine a moment to reach them.
  await new Promise((resolve) => setTimeout(resolve, 300));

  const latencies: number[] = [];
  for (let i = 0; i < 20; i++) {
    try {
      const res = await request<ChainBody>(`${node.url}/chain`, { timeoutMs: 3000 });
      t.equal(res.status, 200, `GET /chain #${i + 1} answers 200`);
      t.equal(res.body.length, 1, "the chain is still the genesis alone");
      t.equal(res.body.chain[0]?.index, 1);
      latencies.push(res.ms);
    } catch (error) {
      t.fail(`GET /chain #${i + 1} got no answer within 3 s while mining: ${error}`);
      break;
    }
  }
  t.equal(latencies.length, 20, "all 20 requests were answered");

  const busy = await request(`${node.url}/transactions/pending`, { timeoutMs: 3000 });
  t.equal(busy.status, 200, "other endpoints answer too");
  t.notOk(
    node.logs.some((line) => line.msg === "block forged"),
    "the job was still running through every request",
  );
  const still = await Promise.race([mining, new Promise((resolve) => setTimeout(() => resolve("mining"), 0))]);
  t.equal(still, "mining", "the /mine request is still pending");

  const mid = latencies.length > 0 ? median(latencies) : Number.POSITIVE_INFINITY;
  t.comment(`GET /chain during mining: median ${mid.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
  t.ok(mid < 100, `median latency ${mid.toFixed(1)} ms is under 100 ms`);

  const exit = await node.stop();
  t.equal(exit.code, 0, "the node stops cleanly in the middle of a job");
  // The pending /mine fails with the node (expected); it must not claim a block was forged.
  t.not(await mining, 200, "no block is reported for the interrupted job");
});

t.test("concurrent /mine requests queue: three distinct indexes on one linked chain", async (t) => {
  const difficulty = 10;
  const node = await startNode(["--threads", "2", "--difficulty", String(difficulty)], { t });

  const answers = await Promise.all([1, 2, 3].map(() => request<Mined>(`${node.url}/mine`)));
  for (const answer of answers) {
    t.equal(answer.status, 200);
    t.equal(answer.body.message, "New Block Forged");
    t.same(answer.body.transactions, [reward(node.nodeId)]);
  }
  const indexes = answers.map((answer) => answer.body.index).sort((a, b) => a - b);
  t.same(indexes, [2, 3, 4], "each request forged its own index");

  const { body } = await request<ChainBody>(`${node.url}/chain`);
  t.equal(body.length, 4);
  t.equal(body.chain.length, 4);
  t.equal(chainProblem(body.chain, difficulty), null, "every block links to the one before and proves");
  for (const answer of answers) {
    const block = body.chain[answer.body.index - 1];
    t.equal(
      block?.previous_hash,
      answer.body.previous_hash,
      `the chain holds the block /mine answered for ${answer.body.index}`,
    );
  }
});
