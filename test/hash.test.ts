import t from "tap";
import { leadingZeroBits } from "../src/chain/index.js";

t.test("leadingZeroBits counts bits, not hex digits", async (t) => {
  t.equal(leadingZeroBits("ffff"), 0);
  t.equal(leadingZeroBits("0fff"), 4);
  t.equal(leadingZeroBits("01ff"), 7);
  t.equal(leadingZeroBits("0000"), 16);
});
