const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/** Digits an integer may have and still be exact in a double, whatever they are: 10^15 - 1 < 2^53 - 1. */
const SAFE_DIGITS = 15;

const isDigit = (code: number): boolean => code >= ZERO && code <= NINE;

/**
 * Whether `text`, JSON that JSON.parse took, certainly holds neither a
 * number a double would change nor a key given twice in one object: every
 * number an integer of at most 15 digits, every key without escapes and
 * once in its object. One pass over the text, strings skipped: what a
 * request's body nearly always is, answered without building a tree.
 * False means "not known" (a decimal, a long integer, an escaped key, a
 * key given twice): the full check (checkExactNumbers) decides.
 */
export function plainlyExact(text: string): boolean {
  const objects: (Set<string> | undefined)[] = [];
  let keyNext = false;
  const length = text.length;
  for (let i = 0; i < length; ) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      let end = i + 1;
      let escaped = false;
      for (; end < length; end++) {
        const c = text.charCodeAt(end);
        if (c === BACKSLASH) {
          escaped = true;
          end++;
        } else if (c === QUOTE) break;
      }
      if (keyNext) {
        const keys = objects[objects.length - 1] as Set<string>;
        const key = text.slice(i + 1, end);
        if (escaped || keys.has(key)) return false;
        keys.add(key);
        keyNext = false;
      }
      i = end + 1;
      continue;
    }
    if (code === MINUS || isDigit(code)) {
      let end = code === MINUS ? i + 1 : i;
      const digitsFrom = end;
      while (end < length && isDigit(text.charCodeAt(end))) end++;
      const next = text.charCodeAt(end);
      if (end - digitsFrom > SAFE_DIGITS || next === DOT || next === LOWER_E || next === UPPER_E) return false;
      i = end;
      continue;
    }
    if (code === OPEN_OBJECT) {
      objects.push(new Set());
      keyNext = true;
    } else if (code === OPEN_ARRAY) {
      objects.push(undefined);
      keyNext = false;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      objects.pop();
      keyNext = false;
    } else if (code === COMMA) {
      keyNext = objects[objects.length - 1] !== undefined;
    }
    i++;
  }
  return true;
}
