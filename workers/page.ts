import type { PageOutcome, PageTask } from "../src/sync/interface.js";
import { checkPage } from "../src/sync/page.js";

/**
 * Checks a page of a peer's chain off the main thread: parsing megabytes of
 * a stranger's JSON and checking its proofs must not hold the API's event loop.
 */
export default function page(task: PageTask): PageOutcome {
  return checkPage(task);
}
