import type { Options } from "ajv";
import { isLowerHex } from "../keys/hex.js";

/** What ajv's `code.regExp` option takes (its type is not exported by name). */
type RegExpEngine = NonNullable<NonNullable<Options["code"]>["regExp"]>;

/** A schema's pattern of exactly N lower-case hex digits: hashes, ids, signatures. */
const HEX_DIGITS = /^\^\[0-9a-f\]\{(\d+)\}\$$/;

/**
 * The ajv instances' regular expressions: "^[0-9a-f]{N}$" tested by
 * isLowerHex, which tells the same for any text, in about half the time
 * (a transfer's 128-digit signature is tested against its schema at each
 * POST and in every block of a peer's page); every other pattern by
 * RegExp, as ajv's default engine makes it.
 */
export const hexAwareRegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string): { test(text: string): boolean; toString(): string } => {
    const digits = HEX_DIGITS.exec(pattern)?.[1];
    if (digits === undefined) return new RegExp(pattern, flags);
    const length = Number(digits);
    // ajv keeps one tester a text of toString(): a RegExp's, so that each pattern has its own.
    return { test: (text: string) => isLowerHex(text, length), toString: () => `/${pattern}/${flags}` };
  },
  { code: "hexAwareRegExp" },
);
