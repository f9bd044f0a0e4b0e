import type { ServerResponse } from "node:http";
import type { Context } from "koa";
import { Counter, Gauge, type Registry } from "prom-client";
import type { EventBus, NodeEvent } from "../events/index.js";
import type { Logger } from "../log.js";
import { EventStreamsClosedError, TooManyStreamsError } from "./errors.js";

/**
 * GET /events: the node's event bus as Server-Sent Events. Each event is
 * framed once; the events of one turn of the event loop (a burst of
 * transactions) go to every stream in one write. A stream's queue is what its
 * socket has not taken yet (the response's buffered bytes): a client that
 * falls STREAM_BUFFER_BYTES behind is dropped, its stream closed, counted and
 * logged, so that a slow or vanished client never holds the node's memory.
 * A closed stream is forgotten at once.
 */

/** The streams open at once, at most: what they cost is bounded whatever the clients do. */
const MAX_STREAMS = 1000;
/** The bytes a stream may have waiting for its socket before its client is dropped. */
export const STREAM_BUFFER_BYTES = 64 * 1024;
/** A comment this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** How long EventSource waits before it reconnects (the stream's `retry:`). */
export const RETRY_MS = 1000;

const frame = (event: NodeEvent): string =>
  `id: ${event.id}\nevent: ${event.kind}\ndata: ${JSON.stringify(event.data)}\n\n`;

/** The number in a Last-Event-ID header, when it is one. */
function lastEventId(header: string): number | undefined {
  if (!/^\d{1,15}$/.test(header)) return undefined;
  return Number(header);
}

export class EventStreams {
  readonly #streams = new Set<ServerResponse>();
  readonly #bus: EventBus;
  readonly #log: Logger;
  readonly #dropped: Counter;
  readonly #heartbeat: NodeJS.Timeout;
  /** The frames of this turn's events, written to every stream at the next (see #flush). */
  #batch: string[] = [];
  #batchId = 0;
  /** The id of the last event written to the streams, or passed with none open. */
  #written = 0;

  constructor(bus: EventBus, log: Logger, registry: Registry) {
    this.#bus = bus;
    this.#log = log;
    const streams = this.#streams;
    new Gauge({
      name: "toychain_event_streams",
      help: "Open GET /events streams",
      registers: [registry],
      collect() {
        this.set(streams.size);
      },
    });
    this.#dropped = new Counter({
      name: "toychain_event_streams_dropped_total",
      help: `GET /events streams closed because their client fell more than ${STREAM_BUFFER_BYTES} bytes behind`,
      registers: [registry],
    });
    this.#heartbeat = setInterval(() => this.#broadcast(": heartbeat\n\n"), HEARTBEAT_MS).unref();
    bus.subscribe({
      // With no stream open, an event costs nothing here: a node that nobody watches posts no slower.
      event: (event) => this.#queue(event),
      end: () => this.close(),
    });
  }

  /**
   * Answers the request with a stream: `retry:`, then the kept events after
   * its Last-Event-ID (a reconnecting EventSource sends it), then every event
   * as it comes, until either side closes.
   */
  open(ctx: Context): void {
    if (this.#bus.closed) throw new EventStreamsClosedError();
    // HEAD gets the stream's headers, and no stream to hold a place.
    if (ctx.method === "HEAD") {
      ctx.status = 200;
      ctx.type = "text/event-stream";
      return;
    }
    if (this.#streams.size >= MAX_STREAMS) throw new TooManyStreamsError(MAX_STREAMS);
    const after = lastEventId(ctx.get("last-event-id"));
    ctx.status = 200;
    ctx.respond = false;
    const res = ctx.res;
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      // nginx would otherwise hold the events back in its buffer.
      "X-Accel-Buffering": "no",
    });
    this.#streams.add(res);
    res.once("close", () => this.#streams.delete(res));
    // Those of this turn come with the batch.
    const replay = after === undefined ? [] : this.#bus.since(after).filter((event) => event.id <= this.#written);
    this.#write(res, `retry: ${RETRY_MS}\n: toychain events, from event ${this.#bus.lastId + 1}\n\n`);
    for (const event of replay) this.#write(res, frame(event));
  }

  #queue(event: NodeEvent): void {
    if (this.#streams.size === 0 && this.#batch.length === 0) {
      this.#written = event.id;
      return;
    }
    if (this.#batch.length === 0) setImmediate(() => this.#flush());
    this.#batch.push(frame(event));
    this.#batchId = event.id;
  }

  #flush(): void {
    if (this.#batch.length === 0) return;
    const text = this.#batch.join("");
    this.#batch = [];
    this.#written = this.#batchId;
    this.#broadcast(text);
  }

  #broadcast(text: string): void {
    for (const res of this.#streams) this.#write(res, text);
  }

  #write(res: ServerResponse, text: string): void {
    if (res.destroyed) return;
    res.write(text);
    if (res.writableLength <= STREAM_BUFFER_BYTES) return;
    this.#streams.delete(res);
    this.#dropped.inc();
    this.#log.warn(
      {
        client: `${res.socket?.remoteAddress}:${res.socket?.remotePort}`,
        buffered: res.writableLength,
        limit: STREAM_BUFFER_BYTES,
        streams: this.#streams.size,
      },
      "an event stream's client fell behind: its stream is closed",
    );
    res.destroy();
  }

  /** Ends every stream (the node is stopping): each client sees its stream end. */
  close(): void {
    clearInterval(this.#heartbeat);
    this.#flush();
    for (const res of this.#streams) res.end();
    this.#streams.clear();
  }
}
