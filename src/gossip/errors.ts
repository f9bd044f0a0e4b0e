/** An announcement whose `url` is not a node address that /nodes/register would take. */
export class InvalidAnnouncerError extends Error {
  override readonly name = "InvalidAnnouncerError";
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`Invalid announcer url ${JSON.stringify(url)}: ${reason}`);
  }
}

/** An announcement from a node on another chain: its id (genesis hash) is not ours. Its announcer is not registered. */
export class ForeignAnnouncerError extends Error {
  override readonly name = "ForeignAnnouncerError";
  constructor(
    readonly url: string,
    readonly theirs: string,
    readonly ours: string,
  ) {
    super(`Announcement refused: ${url} is on the chain ${theirs}, not ours ${ours}`);
  }
}
