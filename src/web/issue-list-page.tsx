/** /organizations/<slug>/issues/: the organization's issues with filters, sorting, counts and pages. A pure builder. */
import type { IssueListRow, IssueSort } from "../db/issue-pages";
import { plural } from "../cards/format";
import { statusText, utcText } from "./format";
import { WebPage, type Frame } from "./layout";

export type IssueListQuery = {
  project: string;
  status: "" | "unresolved" | "resolved" | "ignored";
  assignee: string;
  query: string;
  sort: IssueSort;
  page: number;
};

export type IssueListView = {
  frame: Frame;
  org: { slug: string; name: string };
  projects: { slug: string; name: string }[];
  members: { id: number; label: string }[];
  teams: { id: number; slug: string }[];
  q: IssueListQuery;
  rows: IssueListRow[];
  total: number;
  pageSize: number;
  canAdmin: boolean;
};

const SORT_LABELS: Record<IssueSort, string> = { last_seen: "Last seen", first_seen: "Newest first", events: "Most frequent" };

export function issueListHref(orgSlug: string, q: IssueListQuery, page: number): string {
  const p = new URLSearchParams();
  if (q.project) p.set("project", q.project);
  if (q.status) p.set("status", q.status);
  if (q.assignee) p.set("assignee", q.assignee);
  if (q.query) p.set("query", q.query);
  if (q.sort !== "last_seen") p.set("sort", q.sort);
  if (page > 1) p.set("page", String(page));
  const qs = p.toString();
  return `/organizations/${encodeURIComponent(orgSlug)}/issues/${qs ? `?${qs}` : ""}`;
}

export function IssueListPage(v: IssueListView) {
  const base = `/organizations/${encodeURIComponent(v.org.slug)}`;
  const first = v.total ? (v.q.page - 1) * v.pageSize + 1 : 0;
  const last = Math.min(v.total, v.q.page * v.pageSize);
  return (
    <WebPage title={`Issues · ${v.org.name}`} frame={v.frame}>
      <h1>Issues · {v.org.name}</h1>
      {v.canAdmin ? (
        <p class="hint">
          <a href={`${base}/settings/`}>Organization settings</a>
        </p>
      ) : null}
      <form method="get" action={`${base}/issues/`} class="filters card" aria-label="Filter issues">
        <div>
          <label for="f-query">Search (text or short id)</label>
          <input id="f-query" name="query" value={v.q.query} maxlength={200} />
        </div>
        <div>
          <label for="f-project">Project</label>
          <select id="f-project" name="project">
            <option value="">All projects</option>
            {v.projects.map((p) => (
              <option value={p.slug} selected={p.slug === v.q.project}>
                {p.name} ({p.slug})
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" name="status">
            {(["", "unresolved", "resolved", "ignored"] as const).map((s) => (
              <option value={s} selected={s === v.q.status}>
                {s ? s[0].toUpperCase() + s.slice(1) : "Any status"}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-assignee">Assignee</label>
          <select id="f-assignee" name="assignee">
            <option value="">Anyone</option>
            <option value="me" selected={v.q.assignee === "me"}>
              Me
            </option>
            <option value="none" selected={v.q.assignee === "none"}>
              Unassigned
            </option>
            {v.teams.map((t) => (
              <option value={`team:${t.id}`} selected={v.q.assignee === `team:${t.id}`}>
                #{t.slug}
              </option>
            ))}
            {v.members.map((m) => (
              <option value={`user:${m.id}`} selected={v.q.assignee === `user:${m.id}`}>
                {m.label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-sort">Sort</label>
          <select id="f-sort" name="sort">
            {(Object.keys(SORT_LABELS) as IssueSort[]).map((s) => (
              <option value={s} selected={s === v.q.sort}>
                {SORT_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <button type="submit">Apply</button>
        </div>
      </form>
      <p role="status">{v.total ? `Issues ${first}–${last} of ${v.total}` : "No issues match."}</p>
      <ul class="issues">
        {v.rows.map((r) => (
          <li>
            <div class="title">
              <a href={`${base}/issues/${r.id}/`}>{r.title}</a>
            </div>
            <div class="sub">
              <span class={`badge ${r.status}`}>{statusText(r.status, r.substatus, null)}</span> {r.shortId} · {r.projectSlug} · {r.level}
              {r.culprit ? ` · ${r.culprit}` : ""}
            </div>
            <div class="sub">
              {plural(r.timesSeen, "event", "events")} · {plural(r.usersSeen, "user", "users")} · last seen {utcText(r.lastSeen)} · first seen {utcText(r.firstSeen)}
              {r.assigneeEmail ? ` · assigned to ${r.assigneeEmail}` : r.assigneeTeamSlug ? ` · assigned to #${r.assigneeTeamSlug}` : ""}
            </div>
          </li>
        ))}
      </ul>
      <nav class="pages" aria-label="Pages">
        {v.q.page > 1 ? <a href={issueListHref(v.org.slug, v.q, v.q.page - 1)}>← Previous</a> : null}
        {last < v.total ? <a href={issueListHref(v.org.slug, v.q, v.q.page + 1)}>Next →</a> : null}
      </nav>
    </WebPage>
  );
}
