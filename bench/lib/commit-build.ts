import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** This checkout: the repository holding the bench's sources (dist/bench/lib/ is three levels below it). */
export const REPOSITORY = fileURLToPath(new URL("../../../", import.meta.url));

/** Where builds of other commits are kept between runs, one directory a commit. */
export const DEFAULT_BUILDS = join(tmpdir(), "toychain-bench-builds");

/** Written once a build finished: a directory without it is rebuilt. */
const BUILT = ".toychain-bench-built";

const git = (args: string[], cwd = REPOSITORY): string =>
  execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** A commit of this repository, built: its node's CLI. */
export interface CommitBuild {
  /** The full hash. */
  commit: string;
  /** Its `dist/src/cli.js`. */
  cli: string;
  /** Whether an earlier run's build was used as it was. */
  reused: boolean;
}

/** This checkout's commit, "-dirty" after it when its tracked files differ from it. */
export function describeCheckout(): string {
  return git(["describe", "--always", "--dirty", "--abbrev=12"]);
}

/**
 * `commit` checked out in a detached git worktree of this repository under
 * `builds` and built there (`npm ci`, which builds the native kernel and the
 * TypeScript), or that build as an earlier run left it. Progress goes to
 * stderr. A fresh clone works: it has the whole history.
 */
export function buildCommit(commit: string, builds = DEFAULT_BUILDS): CommitBuild {
  const hash = git(["rev-parse", "--verify", `${commit}^{commit}`]);
  const dir = join(builds, hash.slice(0, 12));
  const cli = join(dir, "dist", "src", "cli.js");
  if (existsSync(join(dir, BUILT)) && existsSync(cli) && git(["rev-parse", "HEAD"], dir) === hash) {
    return { commit: hash, cli, reused: true };
  }
  process.stderr.write(`building commit ${hash.slice(0, 12)} in ${dir} (git worktree add, npm ci)...\n`);
  rmSync(dir, { recursive: true, force: true });
  // A worktree whose directory was deleted (a cleaned /tmp) stays registered until pruned.
  git(["worktree", "prune"]);
  git(["worktree", "add", "--detach", "--force", dir, hash]);
  const npm = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: ["ignore", 2, 2] });
  if (npm.status !== 0 || !existsSync(cli)) {
    throw new Error(`npm ci in ${dir} failed (exit ${npm.status}): commit ${hash.slice(0, 12)} is not built`);
  }
  writeFileSync(join(dir, BUILT), `${hash}\n`);
  return { commit: hash, cli, reused: false };
}
