/**
 * CPU time of child processes from /proc (Linux): how the suite measures CPU inside workerd, whose own clocks
 * (performance.now, Date) are frozen during a request and so cannot time it.
 */
import { readFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";

const TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Pids of the descendants of `root` whose command name matches `pattern`. */
export function descendants(root = process.pid, pattern = /workerd/) {
  const parent = new Map();
  const name = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      name.set(Number(d), stat.slice(stat.indexOf("(") + 1, close));
      parent.set(Number(d), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const isDescendant = (pid) => {
    for (let p = parent.get(pid); p; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  return [...name.keys()].filter((pid) => pattern.test(name.get(pid)) && isDescendant(pid));
}

/** User + system CPU seconds used so far by the given pids (all their threads). */
export function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  }
  return ticks / TICKS;
}

export const CLOCK_TICKS_PER_SECOND = TICKS;
