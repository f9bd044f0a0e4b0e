export type {
  CheckedPage,
  PageOutcome,
  PageSignatures,
  PageTask,
  StagedBlock,
  Staging,
  SyncNetwork,
} from "./interface.js";
export { buildLocator, locatorHeights } from "./locator.js";
export { checkPage, PAGE_BYTES, PAGE_FRAME_BYTES } from "./page.js";
export { PagePool, type PagePoolOptions } from "./page-pool.js";
export {
  discardStaged,
  type RangeSyncDeps,
  type RangeSyncOptions,
  type StagedChain,
  type SyncBase,
  syncRange,
} from "./range.js";
export { verifyPageSignatures } from "./signatures.js";
