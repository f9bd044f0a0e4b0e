import fs from "node:fs";
import { ClassicLevel } from "classic-level";
import type { Test } from "tap";
import { LEDGER_PREFIXES } from "../../src/storage/index.js";
import { startNode } from "./node-process.js";

/** Every ledger record of a stopped node's store, by key. */
export async function ledgerOf(dir: string): Promise<Record<string, unknown>> {
  const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: "json" });
  const records: Record<string, unknown> = {};
  try {
    for (const prefix of LEDGER_PREFIXES) {
      for await (const [key, value] of db.iterator({ gte: prefix, lt: `${prefix[0]}0` })) records[key] = value;
    }
  } finally {
    await db.close();
  }
  return records;
}

/** A record of a stopped node's store (a key of its m/ records, say), or undefined. */
export async function recordOf(dir: string, key: string): Promise<unknown> {
  const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: "json" });
  try {
    return await db.get(key);
  } finally {
    await db.close();
  }
}

/** What --reindex makes of a copy of `dir`. */
export async function reindexed(t: Test, spec: string, dir: string): Promise<Record<string, unknown>> {
  const copy = `${dir}-reindexed`;
  fs.rmSync(copy, { recursive: true, force: true });
  fs.cpSync(dir, copy, { recursive: true });
  const node = await startNode(["--chain", spec, "--data-dir", copy, "--threads", "1", "--reindex"], { t });
  await node.waitForLog((line) => line.msg.startsWith("ledger rebuilt from"));
  await node.stop();
  const records = await ledgerOf(copy);
  fs.rmSync(copy, { recursive: true, force: true });
  return records;
}
