/**
 * The yardstick for POST /transactions/new: a bare node:http server that reads
 * the body, parses the same JSON and answers a message, with no framework,
 * validation, logging or storage. Prints its URL on stdout.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const tx = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { amount: number };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: `Transaction of ${tx.amount} added` }));
  });
});
server.listen(0, "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
