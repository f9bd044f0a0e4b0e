import type { PageTask } from "../src/sync/range/interface.js";

/**
 * The check threads' module (src/checks): the signature pool's chunks and
 * the page pool's pages. A page's module, with the chain's schemas, loads
 * at a thread's first page only: a thread that only verifies signatures
 * starts in a few tens of ms.
 */
export { firstFailure, verifyEach } from "./signatures.js";

let pageModule: Promise<typeof import("./page.js")> | undefined;
const pageWorker = () => {
  pageModule ??= import("./page.js");
  return pageModule;
};

/** Checks a page of a peer's chain (workers/page.ts). */
export async function page(task: PageTask): Promise<ReturnType<typeof import("./page.js")["default"]>> {
  return (await pageWorker()).default(task);
}

/** Loads the page's module and compiles the chain's schema, before the first page comes. */
export async function warmUpPage(): Promise<void> {
  (await pageWorker()).warmUp();
}
