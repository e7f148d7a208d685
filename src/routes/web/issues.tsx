/**
 * The issue pages of an organization the viewer belongs to (else 404):
 *   GET  /organizations/<slug>/issues/              list with filters, sort, counts, pages
 *   GET  /organizations/<slug>/issues/<id>/          the issue (?event=<id> for another event)
 *   POST /organizations/<slug>/issues/<id>/actions   resolve / ignore / assign / unassign / unresolve
 * Actions go through changeIssue and afterIssueChange, like card clicks and the API: every posted card is refreshed.
 */
import { Hono, type Context } from "hono";
import { afterIssueChange } from "../../alerts/after-change";
import { formAllowed } from "../../auth/sign-in/session";
import { getAssigneeView, getIssueWithOrg } from "../../db/issues";
import { eventWithNeighbours, listActivityWithActors, listIssuePage, postedCardsOf, releasesAndEnvironments, topTagValues, type AssigneeFilter } from "../../db/issue-pages";
import { listMembers } from "../../db/organizations";
import { listProjects } from "../../db/projects";
import { listTeams } from "../../db/org-teams";
import { AppError, NotFoundError } from "../../errors";
import { changeIssue } from "../../issues/issue-service";
import { eventView } from "../../web/event-view";
import { parseIssueForm } from "../../web/issue-form";
import { IssueListPage } from "../../web/issue-list-page";
import { parseIssueListQuery } from "../../web/issue-list-query";
import { IssuePage, type IssuePageView } from "../../web/issue-page";
import { MessagePage } from "../../web/layout";
import { orgOfViewer, siteOrigin, webDb, type WebEnv } from "./web-context";

export const issueRoutes = new Hono<WebEnv>();

const PAGE_SIZE = 25;
const MEMBER_OPTIONS = 200;

function issueId(c: Context<WebEnv>): number {
  const raw = c.req.param("id") ?? "";
  const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw new NotFoundError("No such page.");
  return id;
}

async function assignOptions(c: Context<WebEnv>, organizationId: number) {
  const db = webDb(c);
  const [members, teams] = await Promise.all([listMembers(db, organizationId), listTeams(db, organizationId)]);
  return {
    members: members.slice(0, MEMBER_OPTIONS).map((m) => ({ id: m.userId, label: m.name ? `${m.name} (${m.email})` : m.email })),
    teams: teams.map((t) => ({ id: t.id, slug: t.slug })),
  };
}

issueRoutes.get("/:slug/issues", (c) => c.redirect(`/organizations/${encodeURIComponent(c.req.param("slug"))}/issues/`, 301));

issueRoutes.get("/:slug/issues/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const db = webDb(c);
  const q = parseIssueListQuery(c.req.query());
  const [projects, options] = await Promise.all([listProjects(db, org.id), assignOptions(c, org.id)]);
  const project = q.project ? projects.find((p) => p.slug === q.project) : undefined;
  const assignee: AssigneeFilter | undefined =
    q.assignee === "me"
      ? { kind: "user", id: c.get("viewer").userId }
      : q.assignee === "none"
        ? { kind: "none" }
        : q.assignee
          ? { kind: q.assignee.startsWith("user:") ? "user" : "team", id: Number(q.assignee.split(":")[1]) }
          : undefined;
  // An unknown project slug matches nothing rather than everything.
  const { rows, total } =
    q.project && !project
      ? { rows: [], total: 0 }
      : await listIssuePage(db, {
          organizationId: org.id,
          projectId: project?.id,
          status: q.status || undefined,
          assignee,
          query: q.query || undefined,
          sort: q.sort,
          offset: (q.page - 1) * PAGE_SIZE,
          limit: PAGE_SIZE,
        });
  return c.html(
    <IssueListPage
      frame={{ viewer: c.get("viewer"), orgSlug: org.slug }}
      org={org}
      projects={projects.map((p) => ({ slug: p.slug, name: p.name }))}
      members={options.members}
      teams={options.teams}
      q={q}
      rows={rows}
      total={total}
      pageSize={PAGE_SIZE}
      canAdmin={role === "admin"}
    />,
  );
});

async function issuePageView(c: Context<WebEnv>, slug: string, id: number, notice?: IssuePageView["notice"]): Promise<IssuePageView> {
  const { org } = await orgOfViewer(c, slug);
  const db = webDb(c);
  const found = await getIssueWithOrg(db, id);
  if (!found || found.organizationId !== org.id) throw new NotFoundError("No such page.");
  const eventId = c.req.method === "GET" ? c.req.query("event") : undefined;
  const [assignee, activity, nav, tagRows, seen, posted, options] = await Promise.all([
    getAssigneeView(db, id),
    listActivityWithActors(db, id),
    eventWithNeighbours(db, id, eventId && /^[0-9a-f]{32}$/.test(eventId) ? eventId : undefined),
    topTagValues(db, id),
    releasesAndEnvironments(db, id),
    postedCardsOf(db, id),
    assignOptions(c, org.id),
  ]);
  const tags = new Map<string, { key: string; values: { value: string; n: number }[]; total: number }>();
  for (const t of tagRows) {
    const entry = tags.get(t.key) ?? { key: t.key, values: [], total: 0 };
    entry.total += t.n;
    if (entry.values.length < 5) entry.values.push({ value: t.value, n: t.n });
    tags.set(t.key, entry);
  }
  return {
    frame: { viewer: c.get("viewer"), orgSlug: org.slug },
    org,
    project: { slug: found.projectSlug, name: found.projectName },
    issue: found.issue,
    assignee,
    ...options,
    event: nav.event ? { row: nav.event, view: eventView(nav.event.payload, nav.event.message) } : null,
    olderId: nav.olderId,
    newerId: nav.newerId,
    tags: [...tags.values()].slice(0, 30),
    releases: seen.releases,
    environments: seen.environments,
    activity: activity.map((a) => ({ ...a, data: a.data ?? {} })),
    posted,
    notice,
  };
}

issueRoutes.get("/:slug/issues/:id", (c) => c.redirect(`/organizations/${encodeURIComponent(c.req.param("slug"))}/issues/${issueId(c)}/`, 301));

issueRoutes.get("/:slug/issues/:id/", async (c) => {
  const done = c.req.query("done");
  const notice = done && DONE_TEXT[done] ? { kind: "ok" as const, text: DONE_TEXT[done] } : undefined;
  return c.html(<IssuePage {...await issuePageView(c, c.req.param("slug"), issueId(c), notice)} />);
});

const DONE_TEXT: Record<string, string> = {
  resolve: "Resolved. The issue's cards in Teams are being updated.",
  ignore: "Ignored. The issue's cards in Teams are being updated.",
  assign: "Assigned. The issue's cards in Teams are being updated.",
  unassign: "Unassigned. The issue's cards in Teams are being updated.",
  unresolve: "Unresolved. The issue's cards in Teams are being updated.",
};

issueRoutes.post("/:slug/issues/:id/actions", async (c) => {
  const slug = c.req.param("slug");
  const id = issueId(c);
  const { org } = await orgOfViewer(c, slug);
  const viewer = c.get("viewer");
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  if (!formAllowed(c, viewer, form.csrf, siteOrigin(c))) {
    return c.html(
      <MessagePage title="Request refused" frame={{ viewer }} kind="error">
        <p>The form could not be verified (it came from another site or an old page). Reload the issue and try again.</p>
      </MessagePage>,
      403,
    );
  }
  const parsed = parseIssueForm(form, viewer.userId);
  const again = async (status: 400 | 409 | 404, text: string) =>
    c.html(<IssuePage {...await issuePageView(c, slug, id, { kind: "error", text })} />, status);
  if (!parsed.ok) return again(400, parsed.message);
  try {
    const changed = await changeIssue(
      webDb(c),
      { issueId: id, commands: [parsed.command], actor: { kind: "user", userId: viewer.userId }, source: "web", organizationId: org.id },
      Date.now,
    );
    await afterIssueChange(c.env, changed);
  } catch (err) {
    if (err instanceof NotFoundError) throw err;
    if (err instanceof AppError && (err.status === 400 || err.status === 409)) return again(err.status, err.message);
    throw err;
  }
  return c.redirect(`/organizations/${encodeURIComponent(org.slug)}/issues/${id}/?done=${parsed.command.kind}`, 303);
});

