/** Small text helpers of the web pages (UTC times, status words). */
import type { IssueStatus, IssueSubstatus, Resolution } from "../db/schema";

/** `2026-11-29 17:04 UTC`, readable without a script to localise it. */
export function utcText(ms: number | null | undefined): string {
  if (!ms) return "—";
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function statusText(status: IssueStatus, substatus: IssueSubstatus, resolution: Resolution | null): string {
  if (status === "resolved") {
    if (resolution?.kind === "inRelease") return `Resolved in ${resolution.release}`;
    if (resolution?.kind === "inNextRelease") return resolution.release ? `Resolved in the release after ${resolution.release}` : "Resolved in the next release";
    return "Resolved";
  }
  if (status === "ignored") return "Ignored";
  return `Unresolved (${substatus})`;
}
