import { openSync } from "node:fs";
import { ReadStream, WriteStream } from "node:tty";
import { PassphraseError } from "./errors.js";

/**
 * The wallet's passphrase comes from the environment or from the person at
 * the terminal, never from the command line, where `ps` and the shell's
 * history would show it to others.
 */
export const PASSPHRASE_VARIABLE = "TOYCHAIN_PASSPHRASE";

/** Where to ask: the controlling terminal (/dev/tty), or standard input when it is one. */
interface Terminal {
  input: ReadStream;
  output: WriteStream;
  close(): void;
}

function openTerminal(): Terminal | undefined {
  let fd: number;
  try {
    fd = openSync("/dev/tty", "r+");
  } catch {
    if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
    return { input: process.stdin, output: process.stderr, close: () => process.stdin.pause() };
  }
  // One descriptor for both streams, so the output one must not close it: the input one does.
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  return { input, output, close: () => input.destroy() };
}

/**
 * Asks each prompt in turn with echo off: the terminal in raw mode, read a
 * character at a time. node:readline would echo what is typed, and muting it
 * takes its private methods. Backspace and Ctrl-U edit; Enter ends an
 * answer; Ctrl-C, or Ctrl-D on an empty answer, cancels (PassphraseError).
 */
function ask({ input, output }: Terminal, prompts: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const answers: string[] = [];
    let typed = "";
    const finish = (error?: PassphraseError): void => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      if (error === undefined) {
        resolve(answers);
      } else {
        output.write("\n");
        reject(error);
      }
    };
    const onData = (chunk: string): void => {
      for (const c of chunk) {
        if (c === "\r" || c === "\n" || (c === "\u0004" && typed !== "")) {
          answers.push(typed);
          typed = "";
          output.write("\n");
          const next = prompts[answers.length];
          if (next === undefined) {
            finish();
            return;
          }
          output.write(next);
        } else if (c === "\u0003" || c === "\u0004") {
          finish(new PassphraseError(`no passphrase: cancelled with Ctrl-${c === "\u0003" ? "C" : "D"}`));
          return;
        } else if (c === "\u007f" || c === "\b") {
          typed = [...typed].slice(0, -1).join("");
        } else if (c === "\u0015") {
          typed = "";
        } else if (c >= " ") {
          typed += c;
        }
      }
    };
    input.setEncoding("utf8");
    input.setRawMode(true);
    input.on("data", onData);
    output.write(prompts[0] ?? "");
    input.resume();
  });
}

/**
 * The wallet's passphrase: $TOYCHAIN_PASSPHRASE if it is set, else asked on
 * the terminal with echo off (twice when `confirm`, for a new key file,
 * where a typo would lock the key away). Throws PassphraseError, saying to
 * set TOYCHAIN_PASSPHRASE, when there is no terminal to ask on; and for an
 * empty passphrase or two that differ.
 */
export async function readPassphrase({ confirm = false }: { confirm?: boolean } = {}): Promise<string> {
  const fromEnvironment = process.env[PASSPHRASE_VARIABLE];
  if (fromEnvironment !== undefined) {
    if (fromEnvironment === "") throw new PassphraseError(`${PASSPHRASE_VARIABLE} is set but empty`);
    return fromEnvironment;
  }
  const terminal = openTerminal();
  if (terminal === undefined) {
    throw new PassphraseError(
      `no passphrase: there is no terminal to ask for it on; set ${PASSPHRASE_VARIABLE} in the environment`,
    );
  }
  try {
    const [passphrase, repeated] = await ask(
      terminal,
      confirm ? ["Passphrase: ", "Repeat the passphrase: "] : ["Passphrase: "],
    );
    if (passphrase === undefined || passphrase === "") throw new PassphraseError("the passphrase is empty");
    if (confirm && repeated !== passphrase) throw new PassphraseError("the two passphrases differ");
    return passphrase;
  } finally {
    terminal.close();
  }
}
