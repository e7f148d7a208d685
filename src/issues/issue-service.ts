/**
 * Applying commands to an issue: load, check who and what, plan with the state machine, write guarded, retry on a
 * concurrent change. Used by the admin API and by Teams card actions alike.
 *
 * A request may carry several commands (the admin API's status + assignedTo): each is planned against the state
 * the previous ones leave, and all are written in one guarded batch — a request is applied whole or not at all.
 */
import type { Db } from "../db/client";
import { applyGuardedChange, findRelease, getAssignee, getIssueWithOrg, type AssigneeRow, type IssueRow } from "../db/issues";
import { latestRelease, type ReleaseRow } from "../db/releases";
import { isOrgMember } from "../auth/org-role";
import { teamInOrg } from "../db/org-teams";
import type { PostedCard } from "../db/alert-rules";
import type { ActivitySource } from "../db/schema";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { planCommand, type Actor, type AssigneeState, type IssueCommand, type IssueState, type PlannedChange } from "./lifecycle";

export type IssueChanged = {
  /** The issue as written (every column as of the write). */
  issue: IssueRow;
  /** The issue's posted cards, read in the write's transaction (see GuardedWrite). */
  posted: PostedCard[];
  organizationId: number;
  /** What was applied, in order (one audit row each). */
  changes: PlannedChange[];
  actor: Actor;
  source: ActivitySource;
};

export type ChangeIssueInput = {
  issueId: number;
  commands: IssueCommand[];
  actor: Actor;
  source: ActivitySource;
  /** When set, the issue must belong to this organization (else 404: not visible). */
  organizationId?: number;
  /**
   * The issue as the caller just read it (getIssueWithOrg, or a card click's one query): used for the first attempt
   * instead of reading again. When the caller read them in the same query, the assignee, the project's latest
   * release and whether the acting user is a member of the organization save those reads too. The write is guarded
   * by the issue's version, so a status or assignee read that went stale means a re-read and re-plan; a refusal
   * planned from the read (already resolved, not a member) stands, as it would had the request come a moment earlier.
   * Only pass `actorIsMember` for this issue's organization.
   */
  loaded?: {
    issue: IssueRow;
    organizationId: number;
    assignee?: AssigneeRow | null;
    latestRelease?: ReleaseRow | null;
    actorIsMember?: boolean;
  } | null;
};

const MAX_ATTEMPTS = 10;

export async function changeIssue(db: Db, input: ChangeIssueInput, now: () => number): Promise<IssueChanged> {
  if (!input.commands.length) throw new ValidationError("body: nothing to change.");
  const needsRelease = input.commands.some((c) => c.kind === "resolve");
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const pre = attempt === 0 && input.loaded?.issue.id === input.issueId ? input.loaded : null;
    const found = pre ?? (await getIssueWithOrg(db, input.issueId));
    if (!found || (input.organizationId !== undefined && found.organizationId !== input.organizationId)) {
      throw new NotFoundError("No such issue.");
    }
    const { issue, organizationId } = found;
    // The permission checks and the planning reads are independent: one D1 round trip, not several.
    const [, current, release] = await Promise.all([
      Promise.all(input.commands.map((cmd) => checkCommand(db, issue, organizationId, cmd, input.actor, pre?.actorIsMember))),
      pre?.assignee !== undefined ? pre.assignee : getAssignee(db, issue.id),
      !needsRelease ? null : pre?.latestRelease !== undefined ? pre.latestRelease : latestRelease(db, issue.projectId),
    ]);
    const at = now();
    let planned: IssueState = issue;
    let assignee: AssigneeState = current;
    const changes = input.commands.map((command) => {
      const change = planCommand(planned, assignee, command, { now: at, latestRelease: release });
      if (change.status) planned = { ...planned, ...change.status };
      if (change.assignee !== undefined) assignee = change.assignee;
      return change;
    });
    const written = await applyGuardedChange(db, { issue, changes, actor: input.actor, source: input.source, now: at });
    if (written) return { issue: written.issue, posted: written.posted, organizationId, changes, actor: input.actor, source: input.source };
    // Someone changed the issue between our read and write: re-read and re-plan (the transition may now be invalid).
  }
  throw new ConflictError("The issue is being changed by others right now; try again.", "concurrent_change");
}

async function checkCommand(db: Db, issue: IssueRow, organizationId: number, cmd: IssueCommand, actor: Actor, actorIsMember?: boolean) {
  if (actor.kind === "user" && !(actorIsMember ?? (await isOrgMember(db, actor.userId, organizationId)))) {
    throw new NotFoundError("No such issue.");
  }
  if (cmd.kind === "resolve" && cmd.mode === "inRelease" && !(await findRelease(db, issue.projectId, cmd.release))) {
    throw new ValidationError(`statusDetails.inRelease: release "${cmd.release}" does not exist in this project.`);
  }
  if (cmd.kind !== "assign") return;
  if (cmd.target.kind === "user") {
    // "Assign to me": the actor's membership was just checked.
    const self = actor.kind === "user" && cmd.target.id === actor.userId && actorIsMember === true;
    if (!self && !(await isOrgMember(db, cmd.target.id, organizationId))) {
      throw new ValidationError("assignedTo: that user is not a member of this organization.");
    }
  } else if (!(await teamInOrg(db, organizationId, cmd.target.id))) {
    throw new ValidationError("assignedTo: that team does not belong to this organization.");
  }
}

/** The user a change assigned the issue to, if the request ended with an assignment to a user. */
export function assignedUserOf(changed: IssueChanged): number | null {
  const last = changed.changes.findLast((c) => c.assignee !== undefined);
  return last?.assignee?.userId ?? null;
}
