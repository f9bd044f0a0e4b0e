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
  if (!("valid" in outcome)) return outcome;
  // The blocks' bytes go back moved, not copied: as strings they would pile up in the main thread's heap.
  return move({ [transferableSymbol]: [outcome.valid.encoded.buffer], [valueSymbol]: outcome });
}

/** Starts the worker, loads the modules above and compiles the chain's schema, before the first page comes. */
export function warmUp(): void {
  checkChain.prepare();
}
