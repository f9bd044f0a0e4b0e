import { availableParallelism } from "node:os";
import t from "tap";
import { parseConfig, UsageError, usage } from "../src/config.js";

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

/** parseConfig must throw a UsageError whose message contains every `mentions`. */
function expectUsageError(t: Test, argv: string[], ...mentions: string[]): void {
  try {
    parseConfig(argv);
    t.fail(`${JSON.stringify(argv)} was accepted`);
  } catch (error) {
    t.ok(error instanceof UsageError, `${JSON.stringify(argv)}: a UsageError`);
    t.equal((error as Error).name, "UsageError");
    for (const mention of mentions) t.match((error as Error).message, mention, `the message names ${mention}`);
  }
}

t.test("defaults", async (t) => {
  const config = parseConfig([]);
  t.equal(config.port, 5000);
  t.equal(config.host, "127.0.0.1");
  t.equal(config.difficulty, 16);
  t.equal(config.threads, availableParallelism());
  t.equal(config.kernel, "auto");
  t.equal(config.logLevel, "info");
  t.equal(config.help, false);
});

t.test("each flag is parsed", async (t) => {
  t.equal(parseConfig(["--port", "5001"]).port, 5001);
  t.equal(parseConfig(["--port=5002"]).port, 5002, "--flag=value form");
  t.equal(parseConfig(["--port", "1"]).port, 1);
  t.equal(parseConfig(["--port", "65535"]).port, 65535);
  t.equal(parseConfig(["--host", "0.0.0.0"]).host, "0.0.0.0");
  t.equal(parseConfig(["--host", "::1"]).host, "::1");
  t.equal(parseConfig(["--threads", "3"]).threads, 3);
  t.equal(parseConfig(["--threads", "1"]).threads, 1);
  t.equal(parseConfig(["--difficulty", "20"]).difficulty, 20);
  t.equal(parseConfig(["--difficulty", "1"]).difficulty, 1);
  t.equal(parseConfig(["--difficulty", "64"]).difficulty, 64);
  t.equal(parseConfig(["--kernel", "portable"]).kernel, "portable");
  t.equal(parseConfig(["--kernel", "native"]).kernel, "native");
  t.equal(parseConfig(["--kernel", "auto"]).kernel, "auto");
  t.equal(parseConfig(["--log-level", "silent"]).logLevel, "silent");
  t.equal(parseConfig(["--log-level", "debug"]).logLevel, "debug");
  t.equal(parseConfig(["--help"]).help, true);
  t.equal(parseConfig(["-h"]).help, true);
  t.equal(parseConfig(["--port", "1", "--port", "2"]).port, 2, "the last one wins");

  const all = parseConfig([
    "--port",
    "6000",
    "--host",
    "0.0.0.0",
    "--threads",
    "2",
    "--difficulty",
    "12",
    "--log-level",
    "warn",
  ]);
  t.match(all, { port: 6000, host: "0.0.0.0", threads: 2, difficulty: 12, logLevel: "warn", help: false });
});

t.test("bad values throw a UsageError naming the flag", async (t) => {
  expectUsageError(t, ["--port", "65536"], "--port");
  expectUsageError(t, ["--port=-1"], "--port");
  expectUsageError(t, ["--port", "abc"], "--port", '"abc"');
  expectUsageError(t, ["--port", "50.5"], "--port");
  expectUsageError(t, ["--port", "1e3"], "--port");
  expectUsageError(t, ["--port", ""], "--port");
  expectUsageError(t, ["--port", " 80"], "--port");
  expectUsageError(t, ["--threads", "0"], "--threads");
  expectUsageError(t, ["--threads", "1025"], "--threads");
  expectUsageError(t, ["--threads", "two"], "--threads");
  expectUsageError(t, ["--difficulty", "0"], "--difficulty");
  expectUsageError(t, ["--difficulty", "65"], "--difficulty");
  expectUsageError(t, ["--difficulty", "x"], "--difficulty");
  expectUsageError(t, ["--difficulty", "99999999999999999999"], "--difficulty");
  expectUsageError(t, ["--host", ""], "--host");
  expectUsageError(t, ["--host", "   "], "--host");
  expectUsageError(t, ["--log-level", "loud"], "--log-level", '"loud"');
  expectUsageError(t, ["--kernel", "gpu"], "--kernel", '"gpu"');
});

t.test("--api-token and --peer-timeout", async (t) => {
  const token = "s3cret-token-0123456789";
  t.equal(parseConfig([]).apiToken, undefined, "no token by default: every route is open");
  t.equal(parseConfig(["--api-token", token]).apiToken, token);
  t.equal(parseConfig([], { TOYCHAIN_API_TOKEN: token }).apiToken, token, "read from the environment");
  t.equal(parseConfig([]).peerTimeoutMs, 5000);
  t.equal(parseConfig(["--peer-timeout", "250"]).peerTimeoutMs, 250);
  expectUsageError(t, ["--api-token", ""], "--api-token", "16 to 1024");
  expectUsageError(t, ["--api-token", "short"], "--api-token");
  expectUsageError(t, ["--api-token", "has a space in it, sadly"], "--api-token", "without spaces");
  expectUsageError(t, ["--peer-timeout", "0"], "--peer-timeout");
  expectUsageError(t, ["--peer-timeout", "5s"], "--peer-timeout", '"5s"');
  try {
    parseConfig([], { TOYCHAIN_API_TOKEN: "short" });
    t.fail("a short token in the environment was accepted");
  } catch (error) {
    t.match((error as Error).message, /^TOYCHAIN_API_TOKEN must be/, "the message names the variable");
    t.notMatch((error as Error).message, /short/, "and does not repeat the token");
  }
});

t.test("--gossip and --public-url", async (t) => {
  t.equal(parseConfig([]).gossip, false, "gossip is off by default: the walkthrough keeps the seed's messages");
  t.equal(parseConfig([]).publicUrl, undefined, "no public URL: it comes from --host and the port");
  t.equal(parseConfig(["--gossip"]).gossip, true);
  t.equal(parseConfig([], { TOYCHAIN_GOSSIP: "true" }).gossip, true, "read from the environment");
  t.equal(parseConfig([], { TOYCHAIN_GOSSIP: "0" }).gossip, false);
  t.equal(parseConfig(["--public-url", "http://node1:5000"]).publicUrl, "http://node1:5000");
  t.equal(parseConfig(["--public-url", "node1:05000"]).publicUrl, "http://node1:5000", "written as a peer would be");
  t.equal(parseConfig(["--public-url", "https://Example.org:443/"]).publicUrl, "https://example.org:443");
  t.equal(parseConfig([], { TOYCHAIN_PUBLIC_URL: "http://node2:5000" }).publicUrl, "http://node2:5000");
  expectUsageError(t, ["--public-url", "ftp://node1:5000"], "--public-url", "only http and https");
  expectUsageError(t, ["--public-url", "http://node1"], "--public-url", "the port is missing");
  expectUsageError(t, ["--public-url", "http://node1:5000/api"], "--public-url", "without a path");
  expectUsageError(t, ["--gossip=yes"], "--gossip");
  t.throws(() => parseConfig([], { TOYCHAIN_GOSSIP: "on" }), /TOYCHAIN_GOSSIP must be true or false/);
});

t.test("--mine", async (t) => {
  t.equal(parseConfig([]).mine, false, "off by default: the walkthrough's node mines only when asked");
  t.equal(parseConfig(["--mine"]).mine, true);
  t.equal(parseConfig([], { TOYCHAIN_MINE: "true" }).mine, true, "read from the environment");
  t.equal(parseConfig([], { TOYCHAIN_MINE: "1" }).mine, true);
  t.equal(parseConfig([], { TOYCHAIN_MINE: "false" }).mine, false);
  expectUsageError(t, ["--mine=yes"], "--mine");
  t.throws(() => parseConfig([], { TOYCHAIN_MINE: "yes" }), /TOYCHAIN_MINE must be true or false/);
  t.match(
    usage(),
    /--mine\s+mine block after block on the tip, taking in new transactions every 2 s/,
    "--help names it",
  );
});

t.test("a flag without its value throws naming the flag", async (t) => {
  expectUsageError(t, ["--port"], "--port");
  expectUsageError(t, ["--difficulty"], "--difficulty");
  expectUsageError(t, ["--port", "--host", "x"], "--port");
});

t.test("unknown flags and arguments throw naming them", async (t) => {
  expectUsageError(t, ["--foo"], "--foo");
  expectUsageError(t, ["--port", "5000", "--verbose"], "--verbose");
  expectUsageError(t, ["-x"], "-x");
  expectUsageError(t, ["extra"], "extra");
  expectUsageError(t, ["--help=yes"], "--help");
});

t.test("usage() mentions every flag", async (t) => {
  const text = usage();
  for (const flag of [
    "--port",
    "--host",
    "--threads",
    "--difficulty",
    "--kernel",
    "--gossip",
    "--public-url",
    "--log-level",
    "--help",
    "-h",
  ]) {
    t.match(text, flag, `mentions ${flag}`);
  }
  t.match(text, /5000/, "the default port");
  t.match(text, /127\.0\.0\.1/, "the default host");
  t.match(text, /16/, "the default difficulty");
  t.match(text, String(availableParallelism()), "the default thread count");
});

t.test("TOYCHAIN_PASSPHRASE is not a stray variable: it seals the node's reward key", async (t) => {
  t.doesNotThrow(() => parseConfig([], { TOYCHAIN_PASSPHRASE: "correct horse" }), "a node starts with it set");
  t.throws(() => parseConfig([], { TOYCHAIN_PASSPHRAS: "typo" }), /unknown environment variable TOYCHAIN_PASSPHRAS/);
});
