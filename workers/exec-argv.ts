/**
 * Piscina loads a worker's module with require() first, then import(). On
 * Node 20.19+, whose require() also loads ES modules, that mix crashed a
 * worker at start once in about 40 starts on a loaded machine
 * (ERR_INTERNAL_ASSERTION: "imported again after being required", as in
 * nodejs/node#55500). Without require(esm) in the workers, the require fails
 * at once with ERR_REQUIRE_ESM, leaving nothing behind, and import() alone
 * loads the module.
 */
export const WORKER_EXEC_ARGV = [...process.execArgv, "--no-experimental-require-module"];
