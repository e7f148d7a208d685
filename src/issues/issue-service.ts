/**
 * Applying a command to an issue: load, check who and what, plan with the state machine, write guarded, retry on a
 * concurrent change. Used by the admin API and by Teams card actions alike.
 */
import type { Db } from "../db/client";
import {
  applyGuardedChange,
  findRelease,
  getAssignee,
  getAssigneeView,
  getGroupWithOrg,
  latestRelease,
  type AssigneeView,
  type GroupRow,
} from "../db/groups";
import { orgRole, teamInOrg } from "../db/memberships";
import type { ActivitySource } from "../db/schema";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { planCommand, type Actor, type IssueCommand, type PlannedChange } from "./lifecycle";

export type IssueChanged = {
  group: GroupRow;
  organizationId: number;
  assignee: AssigneeView;
  change: PlannedChange;
  actor: Actor;
  source: ActivitySource;
};

export type ChangeIssueInput = {
  groupId: number;
  command: IssueCommand;
  actor: Actor;
  source: ActivitySource;
  /** When set, the issue must belong to this organization (else 404: not visible). */
  organizationId?: number;
};

const MAX_ATTEMPTS = 10;

export async function changeIssue(db: Db, input: ChangeIssueInput, now: () => number): Promise<IssueChanged> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const found = await getGroupWithOrg(db, input.groupId);
    if (!found || (input.organizationId !== undefined && found.organizationId !== input.organizationId)) {
      throw new NotFoundError("No such issue.");
    }
    const { group, organizationId } = found;
    await checkCommand(db, organizationId, input.command, input.actor);
    const [assignee, release] = await Promise.all([
      getAssignee(db, group.id),
      input.command.kind === "resolve" ? latestRelease(db, group.projectId) : Promise.resolve(null),
    ]);
    if (input.command.kind === "resolve" && input.command.mode === "inRelease") {
      if (!(await findRelease(db, group.projectId, input.command.release))) {
        throw new ValidationError(`statusDetails.inRelease: release "${input.command.release}" does not exist in this project.`);
      }
    }
    const at = now();
    const change = planCommand(group, assignee, input.command, { now: at, latestRelease: release });
    if (await applyGuardedChange(db, { group, change, actor: input.actor, source: input.source, now: at })) {
      const after = await getGroupWithOrg(db, group.id);
      return {
        group: after!.group,
        organizationId,
        assignee: await getAssigneeView(db, group.id),
        change,
        actor: input.actor,
        source: input.source,
      };
    }
    // Someone changed the issue between our read and write: re-read and re-plan (the transition may now be invalid).
  }
  throw new ConflictError("The issue is being changed by others right now; try again.", "concurrent_change");
}

async function checkCommand(db: Db, organizationId: number, cmd: IssueCommand, actor: Actor) {
  if (actor.kind === "user" && !(await orgRole(db, organizationId, actor.userId))) {
    throw new NotFoundError("No such issue.");
  }
  if (cmd.kind !== "assign") return;
  if (cmd.target.kind === "user") {
    if (!(await orgRole(db, organizationId, cmd.target.id))) {
      throw new ValidationError("assignedTo: that user is not a member of this organization.");
    }
  } else if (!(await teamInOrg(db, organizationId, cmd.target.id))) {
    throw new ValidationError("assignedTo: that team does not belong to this organization.");
  }
}
