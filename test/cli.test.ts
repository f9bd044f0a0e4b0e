import { once } from "node:events";
import { createServer } from "node:net";
import t from "tap";
import { request, runCli, startNode } from "./helpers/node-process.js";

/** The command line as a user meets it: help, bad flags, a busy port, a clean stop. */

t.test("--help prints the usage, naming every flag, and exits 0", async (t) => {
  for (const flag of ["--help", "-h"]) {
    const run = await runCli([flag]);
    t.equal(run.code, 0, `${flag} exits 0`);
    t.match(run.stdout, /^Usage: toychain/);
    for (const name of ["--port", "--host", "--threads", "--difficulty", "--log-level", "--help"]) {
      t.match(run.stdout, name, `the usage names ${name}`);
    }
    t.equal(run.stderr, "", "nothing on stderr");
  }
});

t.test("a bad value or an unknown flag exits 2 with a message naming the flag", async (t) => {
  const cases: [args: string[], names: string][] = [
    [["--port", "abc"], "--port"],
    [["--port", "65536"], "--port"],
    [["--threads", "0"], "--threads"],
    [["--difficulty", "99"], "--difficulty"],
    [["--log-level", "loud"], "--log-level"],
    [["--port"], "--port"],
    [["--bogus"], "--bogus"],
    [["--port", "0", "extra"], "extra"],
  ];
  // Independent processes: run them side by side to keep the test short.
  const runs = await Promise.all(cases.map(([args]) => runCli(args)));
  cases.forEach(([args, names], i) => {
    const run = runs[i] as Awaited<ReturnType<typeof runCli>>;
    t.equal(run.code, 2, `toychain ${args.join(" ")} exits 2`);
    t.match(run.stderr, names, `toychain ${args.join(" ")}: stderr names ${names}`);
    t.notMatch(run.stdout, "node listening", "no node was started");
  });
  t.match(runs[0]?.stderr, /--port must be an integer from 0 to 65535, not "abc"/);
  t.match(runs[2]?.stderr, /--threads must be an integer from 1 to \d+, not "0"/);
  t.match(runs[3]?.stderr, /--difficulty must be an integer from 1 to 64, not "99"/);
});

t.test("a port already in use: non-zero exit and a message saying so", async (t) => {
  const blocker = createServer();
  blocker.listen(0, "127.0.0.1");
  await once(blocker, "listening");
  t.teardown(() => blocker.close());
  const address = blocker.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  t.ok(port > 0);

  const run = await runCli(["--port", String(port), "--threads", "1"]);
  t.not(run.code, 0, "the node exits with an error code");
  t.not(run.code, null, "it exited by itself, not by a signal");
  t.match(run.stderr, new RegExp(`port ${port}\\b.*already in use`), "stderr says the port is in use");
  t.notMatch(run.stdout, "node listening");
});

t.test("SIGTERM stops a running node with exit code 0", async (t) => {
  const node = await startNode(["--threads", "1", "--difficulty", "8"], { t });
  const chain = await request(`${node.url}/chain`);
  t.equal(chain.status, 200, "the node answers before the signal");

  const exit = await node.stop();
  t.same(exit, { code: 0, signal: null }, "exit code 0, not killed");
  t.ok(
    node.logs.some((line) => line.msg === "stopping" && line.signal === "SIGTERM"),
    "it logs the signal",
  );
  t.ok(
    node.logs.some((line) => line.msg === "node stopped"),
    "it logs its stop",
  );
  await t.rejects(fetch(`${node.url}/chain`), "the port no longer answers");
});
