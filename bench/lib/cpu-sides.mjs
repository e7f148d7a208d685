/**
 * Two sides of one machine for bench/storm.mjs's "split" topology: the storm's side (its senders and the workerd
 * process it hits) on one half of the CPUs, the clicks' side (this process: the Teams client and the stand-in, and
 * the clicks' workerd, which also serves D1) on the other. On Cloudflare a storm's isolates do not run on the core
 * that serves a click; what they share is D1, which here runs on the clicks' side, so every statement the storm
 * sends to D1 is paid for there. Linux only (taskset); elsewhere, or on one CPU, nothing is pinned.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";

const count = os.cpus().length;
const usable = process.platform === "linux" && count >= 2 && (() => {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const half = Math.floor(count / 2);
/** CPU lists for taskset -c, or null when nothing is pinned. */
export const sides = usable ? { storm: `0-${half - 1}`, clicks: `${half}-${count - 1}` } : null;

/** Moves a process, every thread, to a side's CPUs. */
export function pinProcess(pid, cpus) {
  execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
}

/** This process's children (pids), e.g. to find the workerd a Miniflare instance just spawned. */
export function childPids() {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(process.pid)], { encoding: "utf8" }).split("\n").map((s) => Number(s.trim())).filter(Boolean);
  } catch {
    return [];
  }
}
