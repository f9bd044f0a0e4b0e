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
