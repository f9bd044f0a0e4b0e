import type { EventKind, EventListener, NodeEvent, NodeEvents } from "./interface.js";

/** Events kept for a listener that comes back (mining progress aside, which is stale at once). */
const REPLAYED_EVENTS = 64;

/**
 * The node's typed event bus: the domain emits, listeners (the API's event
 * streams) are told synchronously. It keeps the last REPLAYED_EVENTS events
 * but mining progress, so that a listener that reconnects gets what it missed
 * meanwhile; nothing else grows.
 */
export class EventBus {
  #next = 1;
  #closed = false;
  readonly #listeners = new Set<EventListener>();
  readonly #recent: NodeEvent[] = [];

  emit<K extends EventKind>(kind: K, data: NodeEvents[K]): void {
    if (this.#closed) return;
    const event = { id: this.#next++, kind, data } as NodeEvent;
    if (kind !== "mining") {
      this.#recent.push(event);
      if (this.#recent.length > REPLAYED_EVENTS) this.#recent.shift();
    }
    for (const listener of this.#listeners) listener.event(event);
  }

  /** Adds a listener; returns what removes it. A closed bus ends it at once. */
  subscribe(listener: EventListener): () => void {
    if (this.#closed) {
      listener.end();
      return () => undefined;
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The kept events after `id`, oldest first. */
  since(id: number): NodeEvent[] {
    return this.#recent.filter((event) => event.id > id);
  }

  /** The id of the last event emitted (0 before the first). */
  get lastId(): number {
    return this.#next - 1;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Ends every listener: the node is stopping. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const listener of this.#listeners) listener.end();
    this.#listeners.clear();
  }
}
