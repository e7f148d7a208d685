import { Hono } from "hono";
import * as z from "zod/mini"; // tree-shakable build; the English locale is registered in http/validate.ts
import type { AppEnv } from "../../env";
import { afterIssueChange } from "../../alerts/after-change";
import { getDb } from "../../db/client";
import { assigneeLabel, getAssigneeView, getIssueWithOrg, latestEvent, listActivity, listIssues } from "../../db/issues";
import { NotFoundError, ValidationError } from "../../errors";
import { validate } from "../../http/validate";
import { changeIssue } from "../../issues/issue-service";
import type { IssueCommand } from "../../issues/lifecycle";
import { ADMIN_BODY_LIMIT, idParam } from "./request";
import { readJsonObject } from "../../http/json-body";

/** Issues: list with filters, detail, and updates with Sentry's body shape. */
export const issueAdminRoutes = new Hono<AppEnv>();

const listQuery = z.object({
  organization: z.optional(z.coerce.number().check(z.int(), z.positive())),
  project: z.optional(z.coerce.number().check(z.int(), z.positive())),
  status: z.optional(z.enum(["unresolved", "resolved", "ignored"])),
  assignee: z.optional(
    z.string().check(z.regex(/^(user:[1-9]\d*|team:[1-9]\d*|none)$/, "must be user:<id>, team:<id> or none")),
  ),
  query: z.optional(z.string().check(z.maxLength(200))),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 25),
  cursor: z.optional(z.coerce.number().check(z.int(), z.positive())),
});

issueAdminRoutes.get("/issues", async (c) => {
  const q = validate(listQuery, c.req.query());
  const [kind, id] = q.assignee?.split(":") ?? [];
  const rows = await listIssues(getDb(c.env.DB), {
    organizationId: q.organization,
    projectId: q.project,
    status: q.status,
    assignedUserId: kind === "user" ? Number(id) : undefined,
    assignedTeamId: kind === "team" ? Number(id) : undefined,
    unassigned: kind === "none",
    query: q.query,
    limit: q.limit,
    cursor: q.cursor,
  });
  const issues = rows.map((r) => ({
    ...publicIssue(r.issue),
    project: r.projectSlug,
    assignedTo: r.assignee ? (r.assignee.userId ? `user:${r.assignee.userId}` : `team:${r.assignee.teamId}`) : null,
  }));
  const nextCursor = rows.length === q.limit ? rows[rows.length - 1].issue.id : null;
  return c.json({ issues, nextCursor });
});

issueAdminRoutes.get("/issues/:id", async (c) => {
  const id = idParam(c, "id");
  const db = getDb(c.env.DB);
  const found = await getIssueWithOrg(db, id);
  if (!found) throw new NotFoundError("No such issue.");
  const [assignee, activity, event] = await Promise.all([getAssigneeView(db, id), listActivity(db, id), latestEvent(db, id)]);
  return c.json({
    issue: { ...publicIssue(found.issue), project: found.projectSlug, organizationId: found.organizationId },
    assignee,
    assigneeLabel: assigneeLabel(assignee),
    activity,
    latestEvent: event,
  });
});

const positiveInt = () => z.optional(z.int().check(z.positive()));
const updateBody = z.strictObject({
  status: z.optional(z.enum(["resolved", "resolvedInNextRelease", "unresolved", "ignored"])),
  statusDetails: z.optional(
    z.strictObject({
      inNextRelease: z.optional(z.boolean()),
      inRelease: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
      ignoreCount: positiveInt(),
      ignoreWindow: positiveInt(),
      ignoreDuration: positiveInt(),
      ignoreUserCount: positiveInt(),
      ignoreUserWindow: positiveInt(),
    }),
  ),
  assignedTo: z.optional(
    z.string().check(z.regex(/^(user:[1-9]\d*|team:[1-9]\d*|)$/, 'must be "user:<id>", "team:<id>" or "" to unassign')),
  ),
});

/** Sentry's `{status, statusDetails, assignedTo}` → our commands, validated before anything is written. */
export function commandsFromUpdate(body: z.infer<typeof updateBody>): IssueCommand[] {
  const commands: IssueCommand[] = [];
  const d = body.statusDetails ?? {};
  if (body.status === undefined && body.statusDetails) throw new ValidationError("statusDetails: needs a status.");
  if (body.status === "resolved" || body.status === "resolvedInNextRelease") {
    if (body.status === "resolvedInNextRelease" || d.inNextRelease) commands.push({ kind: "resolve", mode: "inNextRelease" });
    else if (d.inRelease === "latest") commands.push({ kind: "resolve", mode: "inCurrentRelease" });
    else if (d.inRelease) commands.push({ kind: "resolve", mode: "inRelease", release: d.inRelease });
    else commands.push({ kind: "resolve", mode: "immediate" });
  } else if (body.status === "ignored") {
    // Sentry's "N times / N users within a window" is not implemented here: refuse rather than ignore the window.
    if (d.ignoreWindow !== undefined || d.ignoreUserWindow !== undefined) {
      throw new ValidationError("statusDetails: ignoreWindow and ignoreUserWindow are not supported; use ignoreCount, ignoreUserCount (totals) or ignoreDuration.");
    }
    const set = [d.ignoreCount, d.ignoreDuration, d.ignoreUserCount].filter((v) => v !== undefined);
    if (set.length > 1) throw new ValidationError("statusDetails: give one of ignoreCount, ignoreDuration, ignoreUserCount.");
    if (d.ignoreCount !== undefined) commands.push({ kind: "ignore", condition: { kind: "count", count: d.ignoreCount } });
    else if (d.ignoreDuration !== undefined) commands.push({ kind: "ignore", condition: { kind: "duration", minutes: d.ignoreDuration } });
    else if (d.ignoreUserCount !== undefined)
      commands.push({ kind: "ignore", condition: { kind: "userCount", count: d.ignoreUserCount } });
    else commands.push({ kind: "ignore", condition: { kind: "forever" } });
  } else if (body.status === "unresolved") {
    commands.push({ kind: "unresolve" });
  }
  if (body.assignedTo !== undefined) {
    if (body.assignedTo === "") commands.push({ kind: "unassign" });
    else {
      const [kind, id] = body.assignedTo.split(":");
      commands.push({ kind: "assign", target: { kind: kind as "user" | "team", id: Number(id) } });
    }
  }
  if (!commands.length) throw new ValidationError("body: give status and/or assignedTo.");
  return commands;
}

async function updateIssue(c: import("hono").Context<AppEnv>) {
  const id = idParam(c, "id");
  const commands = commandsFromUpdate(validate(updateBody, await readJsonObject(c, ADMIN_BODY_LIMIT)));
  const db = getDb(c.env.DB);
  // Status and assignee are applied together, in one guarded write: a refused part leaves nothing written.
  const changed = await changeIssue(db, { issueId: id, commands, actor: { kind: "api" }, source: "api" }, Date.now);
  const [assignee] = await Promise.all([getAssigneeView(db, id), afterIssueChange(c.env, changed)]);
  return c.json({ issue: publicIssue(changed.issue), assignee, assigneeLabel: assigneeLabel(assignee) });
}

issueAdminRoutes.put("/issues/:id", updateIssue);
issueAdminRoutes.patch("/issues/:id", updateIssue);

function publicIssue(g: import("../../db/issues").IssueRow) {
  const { writeToken: _w, fingerprintHash: _f, ...rest } = g;
  return rest;
}
