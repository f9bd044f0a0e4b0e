import { readFileSync } from "node:fs";

/** Linux's clock ticks per second in /proc (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command's name (which may hold spaces): fields[0] is field 3, state. */
function statFields(pid: number | "self"): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** CPU seconds process `pid` has used so far: user and system, all its threads. */
export function processCpuSeconds(pid: number | "self"): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds this process's children have used, once they ended and were waited for (wrk runs). */
export function childrenCpuSeconds(): number {
  const fields = statFields("self");
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

/** CPU seconds the machine has been busy, all cores: everything but idle and iowait, steal (other guests) included. */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_SECOND;
}

/** CPU seconds one thread of process `pid` has used so far (its schedstat, in ns): `pid` itself is its main thread. */
export function threadCpuSeconds(pid: number, tid = pid): number {
  const schedstat = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
  return Number(schedstat.split(" ")[0]) / 1e9;
}
