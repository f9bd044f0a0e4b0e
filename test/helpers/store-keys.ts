import type { ClassicLevel } from "classic-level";

/** The index key of `height`, as src/storage/level.ts lays it out. */
export const indexKey = (height: number): string => `h/${String(height).padStart(16, "0")}`;

/** The key of the block at `height`: b/<its hash>, found through the index. */
export async function blockKeyAt(db: ClassicLevel<string, unknown>, height: number): Promise<string> {
  const entry = (await db.get(indexKey(height), { valueEncoding: "json" })) as { hash: string } | undefined;
  if (entry === undefined) throw new Error(`no index entry for height ${height}`);
  return `b/${entry.hash}`;
}
