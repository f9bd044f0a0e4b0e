export { Announcer, type AnnouncerDeps } from "./announcer.js";
export { ForeignAnnouncerError, InvalidAnnouncerError } from "./errors.js";
export { Gossip, type GossipOptions, type GossipStats } from "./gossip.js";
export {
  ANNOUNCE_OUTCOMES,
  type AnnounceAnswer,
  type AnnounceOutcome,
  DROP_REASONS,
  type DropReason,
  type GossipCounts,
  type GossipHost,
  type GossipNetwork,
  SYNC_OUTCOMES,
  type SyncOutcome,
  type SyncResult,
} from "./interface.js";
export { PeerGossipNetwork } from "./network.js";
export { judgeTip, type Offer, SyncQueue, type TipNews } from "./receiver.js";
