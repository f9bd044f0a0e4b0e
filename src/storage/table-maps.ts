import { readFileSync } from "node:fs";
import "classic-level";
import { addonFunction } from "../../workers/kernel/addon.js";

/** classic-level's binary as the process's maps name it: its prebuilt one, or one built from source. */
const CLASSIC_LEVEL_BINARY = /\/classic[-_]level[^/]*\.node$/;

/** What unmapLevelTables did: LevelDB's reads no longer mapped, or why they still are. */
export type TableMaps = { mappedTables: 0 } | { skipped: string };

/** The native addon's hold on LevelDB's limit (workers/kernel/native/addon.c): true once set, or why not. */
type LeveldbMmapLimit = (binary: string, limit: number) => true | string;

/**
 * Has LevelDB read its table files with pread, not through memory maps, as
 * it does once it has mapped 1,000 (its default limit on 64-bit machines):
 * the pages it reads stay in the system's page cache, and do not count in
 * the node's resident memory. A switch of chains reads every block it
 * adopts, and each page of a table it read stayed in the node's RSS while the
 * table lived: a fresh node's sync of 300,000 transfers (about 100 MB of
 * blocks) ended with 110 MiB more of it, file-backed (README, the accounts
 * ledger's figures, "What moved since fdee68d"). LevelDB reads its limit
 * when its first database opens: call this before. Skipped where the addon
 * was not built, or classic-level's binary is not found or does not export
 * LevelDB's hook for it.
 */
export function unmapLevelTables(maps = "/proc/self/maps"): TableMaps {
  let binary: string | undefined;
  try {
    binary = readFileSync(maps, "utf8")
      .split("\n")
      .map((line) => line.slice(line.indexOf("/")))
      .find((path) => CLASSIC_LEVEL_BINARY.test(path));
  } catch (error) {
    return { skipped: `the process's maps cannot be read (${(error as Error).message})` };
  }
  if (binary === undefined) return { skipped: "classic-level's binary is not among the process's maps" };
  const leveldbMmapLimit = addonFunction<LeveldbMmapLimit>("leveldbMmapLimit");
  if (typeof leveldbMmapLimit === "string") return { skipped: leveldbMmapLimit };
  const done = leveldbMmapLimit(binary, 0);
  return done === true ? { mappedTables: 0 } : { skipped: `${binary}: ${done}` };
}
