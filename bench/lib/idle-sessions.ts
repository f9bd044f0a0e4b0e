/**
 * node dist/bench/lib/idle-sessions.js HOST PORT COUNT
 *
 * COUNT Stratum sessions to a node, each subscribed and authorized (as
 * idle-1, idle-2, ...) and then silent: what bench:pool opens beside its
 * miners, from a network namespace of its own. Prints "ready COUNT" once
 * every one has its first job, then holds them, reading what the node sends,
 * until SIGTERM.
 */
import { StratumLine } from "./stratum-line.js";

const [host = "127.0.0.1", port = "0", count = "1000"] = process.argv.slice(2);
/** Sessions opened at once: the node's handshake allows 5 s each. */
const AT_ONCE = 50;

const sessions: StratumLine[] = [];
for (let from = 0; from < Number(count); from += AT_ONCE) {
  const batch = Array.from({ length: Math.min(AT_ONCE, Number(count) - from) }, async (_, i) => {
    const line = await StratumLine.open(host, Number(port));
    await line.handshake(`idle-${from + i + 1}`);
    sessions.push(line);
  });
  await Promise.all(batch);
}
process.stdout.write(`ready ${sessions.length}\n`);
process.once("SIGTERM", () => {
  for (const line of sessions) line.close();
  process.exit(0);
});
