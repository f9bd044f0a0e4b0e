import { move, transferableSymbol, valueSymbol } from "piscina";
import { checkChain } from "../src/schemas/validate.js";
import type { PageOutcome, PageTask } from "../src/sync/range/interface.js";
import { checkPage } from "../src/sync/range/page.js";

/**
 * Checks a page of a peer's chain off the main thread: parsing megabytes of
 * a stranger's JSON and checking its proofs must not hold the API's event loop.
 */
export default function page(task: PageTask): PageOutcome | ReturnType<typeof move> {
  const outcome = checkPage(task);
  // The blocks' bytes and the signatures go back moved, not copied: as strings or objects they would pile up in
  // the main thread's heap.
  const moved =
    "valid" in outcome
      ? [outcome.valid.encoded.buffer, outcome.valid.signatures?.buffer]
      : [outcome.signatures?.buffer];
  const buffers = moved.filter((buffer): buffer is ArrayBuffer => buffer !== undefined);
  return buffers.length === 0 ? outcome : move({ [transferableSymbol]: buffers, [valueSymbol]: outcome });
}

/** Starts the worker, loads the modules above and compiles the chain's schema, before the first page comes. */
export function warmUp(): void {
  checkChain.prepare();
}
