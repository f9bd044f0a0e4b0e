export { ResolveDeadlineError, ResolveStoppedError } from "./errors.js";
export type { AdoptedTip, Resolution, SyncHost, SyncOptions } from "./interface.js";
export { PeerNetwork } from "./network.js";
export {
  buildLocator,
  type CheckedPage,
  checkPage,
  locatorHeights,
  PAGE_BYTES,
  type PageOutcome,
  PagePool,
  type PageSignatures,
  type PageTask,
  type StagedBlock,
  type Staging,
  type SyncNetwork,
  verifyPageSignatures,
} from "./range/index.js";
export { RunSignal } from "./run-signal.js";
export { Sync } from "./sync.js";
