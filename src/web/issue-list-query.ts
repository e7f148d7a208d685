/** The issue list's query string → IssueListQuery. Total: anything unknown falls back to "no filter", never an error. */
import type { IssueSort } from "../db/issue-pages";
import type { IssueListQuery } from "./issue-list-page";

const SORTS: readonly IssueSort[] = ["last_seen", "first_seen", "events"];
const STATUSES = ["unresolved", "resolved", "ignored"] as const;

export function parseIssueListQuery(q: Record<string, string | undefined>): IssueListQuery {
  const status = STATUSES.find((s) => s === q.status) ?? "";
  const assignee = q.assignee && /^(me|none|user:[1-9]\d{0,15}|team:[1-9]\d{0,15})$/.test(q.assignee) ? q.assignee : "";
  const page = Number(q.page);
  return {
    project: (q.project ?? "").trim().toLowerCase().slice(0, 100),
    status,
    assignee,
    query: (q.query ?? "").trim().slice(0, 200),
    sort: SORTS.find((s) => s === q.sort) ?? "last_seen",
    page: Number.isSafeInteger(page) && page >= 1 && page <= 10_000 ? page : 1,
  };
}
