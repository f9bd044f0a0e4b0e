export { blockEvent } from "./block.js";
export { EventBus } from "./bus.js";
export {
  type BlockEvent,
  type ChainEvent,
  EVENT_KINDS,
  type EventKind,
  type EventListener,
  type JobEvent,
  type MiningEvent,
  type NodeEvent,
  type NodeEvents,
  type PeerEvent,
  type PeerEventVerdict,
  type TransactionEvent,
} from "./interface.js";
