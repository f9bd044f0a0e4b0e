import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";

/**
 * readPassphrase as a person meets it: from TOYCHAIN_PASSPHRASE, typed on a
 * terminal (a pseudo-terminal made by util-linux's `script`) that does not
 * show it, and the clear error when there is neither. Each case runs in a
 * child process, which prints the passphrase's SHA-256, never the
 * passphrase, so that the terminal's output can be searched for it.
 */

const KEYS = new URL("../src/keys/index.js", import.meta.url).href;

const folder = await mkdtemp(join(tmpdir(), "toychain-passphrase-"));
t.teardown(() => rm(folder, { recursive: true, force: true }));
const CHILD = join(folder, "child.mjs");
await writeFile(
  CHILD,
  `import { createHash } from "node:crypto";
const { readPassphrase } = await import(${JSON.stringify(KEYS)});
try {
  const passphrase = await readPassphrase({ confirm: process.argv[2] === "confirm" });
  console.log("RESULT " + createHash("sha256").update(passphrase).digest("hex"));
} catch (error) {
  console.log("ERROR " + error.name + ": " + error.message);
}
`,
);

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The environment without TOYCHAIN_PASSPHRASE, plus `extra`. */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { TOYCHAIN_PASSPHRASE: _, ...rest } = process.env;
  return { ...rest, ...extra };
}

interface Step {
  /** Wait for this text on the terminal... */
  after: string;
  /** ...then type this. */
  type: string;
}

/** Runs a command, typing each step's keys once its text has appeared; resolves to all it printed. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, steps: Step[] = [], detached = false) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { env, detached, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let seen = 0;
    let step = 0;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`no answer within 20 s; the terminal showed: ${JSON.stringify(output)}`));
    }, 20_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      for (let next = steps[step]; next !== undefined; next = steps[step]) {
        const at = output.indexOf(next.after, seen);
        if (at === -1) break;
        seen = at + next.after.length;
        child.stdin.write(next.type);
        step++;
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}

/** The child on a terminal of its own: `script` gives it a pseudo-terminal, and copies its output and our input. */
const onTerminal = (steps: Step[], confirm = false): Promise<string> =>
  run("script", ["-qfec", `node '${CHILD}'${confirm ? " confirm" : ""}`, "/dev/null"], environment(), steps);

t.test("typed on a terminal, twice for a new key file: not echoed", async (t) => {
  const output = await onTerminal(
    [
      { after: "Passphrase: ", type: "s3cret phrase\r" },
      { after: "Repeat the passphrase: ", type: "s3cret phrase\r" },
    ],
    true,
  );
  t.match(output, `RESULT ${sha256("s3cret phrase")}`);
  t.notMatch(output, "s3cret", "the terminal never shows it");
});

t.test("Backspace and Ctrl-U edit what is typed", async (t) => {
  const output = await onTerminal([{ after: "Passphrase: ", type: "wrong\u0015abX\u007fc\r" }]);
  t.match(output, `RESULT ${sha256("abc")}`);
});

t.test("two passphrases that differ, an empty one, Ctrl-C: a PassphraseError each", async (t) => {
  const differ = await onTerminal(
    [
      { after: "Passphrase: ", type: "one\r" },
      { after: "Repeat the passphrase: ", type: "two\r" },
    ],
    true,
  );
  t.match(differ, "ERROR PassphraseError: the two passphrases differ");
  const empty = await onTerminal([{ after: "Passphrase: ", type: "\r" }]);
  t.match(empty, "ERROR PassphraseError: the passphrase is empty");
  const cancelled = await onTerminal([{ after: "Passphrase: ", type: "half\u0003" }]);
  t.match(cancelled, "ERROR PassphraseError: no passphrase: cancelled with Ctrl-C");
});

t.test("TOYCHAIN_PASSPHRASE, when set, is the passphrase: nothing is asked", async (t) => {
  const output = await run("node", [CHILD, "confirm"], environment({ TOYCHAIN_PASSPHRASE: "from the environment" }));
  t.equal(output, `RESULT ${sha256("from the environment")}\n`);
  const empty = await run("node", [CHILD], environment({ TOYCHAIN_PASSPHRASE: "" }));
  t.equal(empty, "ERROR PassphraseError: TOYCHAIN_PASSPHRASE is set but empty\n");
});

t.test("with no terminal and no TOYCHAIN_PASSPHRASE, the error says to set it", async (t) => {
  // detached: a session of its own, so no controlling terminal (/dev/tty), and standard input a pipe.
  const output = await run("node", [CHILD], environment(), [], true);
  t.equal(
    output,
    "ERROR PassphraseError: no passphrase: there is no terminal to ask for it on; set TOYCHAIN_PASSPHRASE in the environment\n",
  );
});
