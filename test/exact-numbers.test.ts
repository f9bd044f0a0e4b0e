import fc from "fast-check";
import { isLosslessNumber, isSafeNumber, parse } from "lossless-json";
import t from "tap";
import { plainlyExact } from "../src/schemas/exact-numbers.js";
import { checkExactNumbers, SchemaError } from "../src/schemas/index.js";

/**
 * The fast path of the exact-numbers check (src/schemas/exact-numbers.ts):
 * a text it clears is one lossless-json parses, a key never given twice,
 * with every number exactly as a double holds it; anything it is unsure of
 * goes to the full check, which still refuses what it refused.
 */

/** The oracle: lossless-json parses it (a key twice with different values throws) and every number is safe. */
function losslessExact(text: string): boolean {
  let tree: unknown;
  try {
    tree = parse(text);
  } catch {
    return false;
  }
  const safe = (value: unknown): boolean => {
    if (isLosslessNumber(value)) return isSafeNumber(value.value);
    if (Array.isArray(value)) return value.every(safe);
    if (value !== null && typeof value === "object") return Object.values(value).every(safe);
    return true;
  };
  return safe(tree);
}

t.test("cleared at once: short integers, numbers inside strings, nested objects and arrays", async (t) => {
  for (const text of [
    '{"sender":"a","recipient":"b","amount":1}',
    '{"amount":999999999999999,"fee":0,"nonce":-123456789012345}',
    '{"signature":"0da71d3321d6b3a04ee555b4e658197c7d81db50edfa9e27f912b6ffdb0285b6","memo":"1.5e400 \\" 12345678901234567890"}',
    '{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}],"c":[1,[2,[3]]]}',
    "[1,2,3]",
    '{"t":true,"f":false,"n":null,"e":{},"l":[]}',
    ' { "x" : 1 , "y" : [ 1 , 2 ] } ',
  ]) {
    t.ok(plainlyExact(text), text);
    t.ok(losslessExact(text), `and lossless-json agrees: ${text}`);
  }
});

t.test("left to the full check: decimals, exponents, long integers, escaped or repeated keys", async (t) => {
  for (const text of [
    '{"amount":1.5}',
    '{"amount":1e3}',
    '{"amount":1E3}',
    '{"amount":1234567890123456}',
    '{"amount":-1234567890123456}',
    '{"am\\u006funt":1}',
    '{"amount":1,"amount":1}',
    '{"a":{"k":1},"k":2,"b":{"k":3,"k":4}}',
    '[{"k":1,"k":2}]',
  ]) {
    t.notOk(plainlyExact(text), text);
  }
  t.ok(plainlyExact('{"a":{"k":1},"k":2,"b":{"k":3}}'), "the same key in different objects is no repeat");
});

t.test("checkExactNumbers still refuses what it refused, and takes the rest", async (t) => {
  t.throws(
    () => checkExactNumbers('{"amount":9007199254740993}', "transaction"),
    SchemaError,
    "an integer past 2^53-1",
  );
  t.throws(() => checkExactNumbers('{"amount":1,"amount":2}', "transaction"), SchemaError, "a key twice, two values");
  t.doesNotThrow(() => checkExactNumbers('{"amount":1.5}', "transaction"), "a decimal a double holds");
  t.doesNotThrow(() => checkExactNumbers('{"amount":1,"amount":1}', "transaction"), "a key twice, one value");
  t.doesNotThrow(() => checkExactNumbers('{"amount":9007199254740991}', "transaction"), "2^53-1 itself");
});

/** JSON texts JSON.parse takes: any value, and objects with keys drawn from few names, so that some repeat. */
const texts: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc
    .array(
      fc.tuple(
        fc.constantFrom("a", "b", "\\u0061", "amount"),
        fc.oneof(
          fc.integer().map(String),
          fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
          fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
          fc.constantFrom('"1e999"', "[1,2]", '{"a":1,"a":1}', "0.1", "-0", "1e-7"),
        ),
      ),
      { maxLength: 5 },
    )
    .map((fields) => `{${fields.map(([key, value]) => `"${key}":${value}`).join(",")}}`),
);

t.test("whatever it clears, lossless-json finds exact (property)", async (t) => {
  let cleared = 0;
  fc.assert(
    fc.property(texts, (text) => {
      JSON.parse(text);
      if (!plainlyExact(text)) return true;
      cleared++;
      return losslessExact(text);
    }),
    { numRuns: 3000 },
  );
  t.ok(cleared > 300, `many texts were cleared at once (${cleared} of 3000)`);
});
