import type { Store, StoredState } from "./interface.js";

/** --in-memory: nothing survives the process, as in the walkthrough's node. */
export class MemoryStore implements Store {
  readonly location = "memory";
  load(): Promise<StoredState | undefined> {
    return Promise.resolve(undefined);
  }
  create(): Promise<void> {
    return Promise.resolve();
  }
  addTransaction(): Promise<void> {
    return Promise.resolve();
  }
  evictPending(): Promise<void> {
    return Promise.resolve();
  }
  addPeers(): Promise<void> {
    return Promise.resolve();
  }
  appendBlock(): Promise<void> {
    return Promise.resolve();
  }
  replaceChain(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
