import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { unmapLevelTables } from "../src/storage/index.js";
import { startNode } from "./helpers/node-process.js";

/**
 * A program that, with "unmap" after its directory, calls unmapLevelTables
 * first; then writes some 8 MB to a LevelDB database in the directory in small write
 * buffers, so that it holds table files, reads it all back, and prints what
 * unmapLevelTables answered and how many of its table files the process maps.
 */
const PROGRAM = `
import { readFileSync } from "node:fs";
import { ClassicLevel } from "classic-level";
import { unmapLevelTables } from ${JSON.stringify(new URL("../src/storage/index.js", import.meta.url).href)};
const answer = process.argv[2] === "unmap" ? unmapLevelTables() : undefined;
const db = new ClassicLevel(process.argv[1], { writeBufferSize: 256 * 1024 });
await db.open();
for (let batch = 0; batch < 64; batch++) {
  await db.batch(Array.from({ length: 128 }, (_, i) => ({ type: "put", key: \`k\${batch}-\${i}\`, value: "v".repeat(1000) + batch + i })));
}
await db.compactRange("k", "l");
let read = 0;
for await (const [, value] of db.iterator()) read += value.length;
const tables = readFileSync("/proc/self/maps", "utf8").split("\\n").filter((line) => line.endsWith(".ldb")).length;
await db.close();
process.stdout.write(JSON.stringify({ answer, read, tables }));
`;

const run = (dir: string, mode = ""): { answer?: object; read: number; tables: number } =>
  JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", PROGRAM, dir, mode], { encoding: "utf8" }));

t.test("LevelDB reads its table files without mapping them once unmapLevelTables ran", async (t) => {
  if (process.platform !== "linux") {
    t.match(unmapLevelTables(), { skipped: /maps/ }, "skipped where there is no /proc/self/maps");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "toychain-table-maps-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const mapped = run(join(dir, "mapped"));
  t.ok(mapped.tables > 0, `left to LevelDB, the process maps ${mapped.tables} table files`);
  const unmapped = run(join(dir, "unmapped"), "unmap");
  t.same(unmapped.answer, { mappedTables: 0 }, "unmapLevelTables found classic-level's binary and set the limit");
  t.equal(unmapped.tables, 0, "no table file is mapped");
  t.equal(unmapped.read, mapped.read, "and every value is read alike");
});

t.test("a missing maps file is a reason, not an error", async (t) => {
  t.match(unmapLevelTables("/nonexistent/maps"), { skipped: /the process's maps cannot be read/ });
});

t.test("a node started by the CLI says at debug that LevelDB reads its tables without mapping them", async (t) => {
  const node = await startNode(["--log-level", "debug"], { t });
  const line = await node.waitForLog((line) => /^LevelDB/.test(line.msg));
  if (process.platform === "linux") {
    t.match(line, { msg: "LevelDB reads its table files without mapping them", mappedTables: 0 });
  } else t.match(line, { msg: "LevelDB maps its table files for its reads" });
});
