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
import { planCommand, type Actor, type AssigneeState, type IssueCommand, type IssueState, type PlannedChange } from "./lifecycle";

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
  /** The issue as the caller just read it (getGroupWithOrg): used for the first attempt instead of reading again. */
  loaded?: { group: GroupRow; organizationId: number } | null;
};

const MAX_ATTEMPTS = 10;

export async function changeIssue(db: Db, input: ChangeIssueInput, now: () => number): Promise<IssueChanged> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const found = attempt === 0 && input.loaded?.group.id === input.groupId ? input.loaded : await getGroupWithOrg(db, input.groupId);
    if (!found || (input.organizationId !== undefined && found.organizationId !== input.organizationId)) {
      throw new NotFoundError("No such issue.");
    }
    const { group, organizationId } = found;
    // The permission check and the planning reads are independent: one D1 round trip, not two.
    const [, assignee, release] = await Promise.all([
      checkCommand(db, organizationId, input.command, input.actor),
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
      const [after, assigneeView] = await Promise.all([getGroupWithOrg(db, group.id), getAssigneeView(db, group.id)]);
      return {
        group: after!.group,
        organizationId,
        assignee: assigneeView,
        change,
        actor: input.actor,
        source: input.source,
      };
    }
    // Someone changed the issue between our read and write: re-read and re-plan (the transition may now be invalid).
  }
  throw new ConflictError("The issue is being changed by others right now; try again.", "concurrent_change");
}

/**
 * Checks a sequence of commands before any is applied, by planning each against the state the previous ones
 * would leave: a request carrying several (the admin API's status + assignedTo) is refused as a whole, never
 * half applied. Throws what changeIssue would throw for the first command that cannot be applied.
 */
export async function checkIssueCommands(db: Db, input: Omit<ChangeIssueInput, "command"> & { commands: IssueCommand[] }, now: () => number): Promise<void> {
  const found = await getGroupWithOrg(db, input.groupId);
  if (!found || (input.organizationId !== undefined && found.organizationId !== input.organizationId)) {
    throw new NotFoundError("No such issue.");
  }
  let issue: IssueState = found.group;
  let assignee: AssigneeState = await getAssignee(db, found.group.id);
  for (const command of input.commands) {
    await checkCommand(db, found.organizationId, command, input.actor);
    if (command.kind === "resolve" && command.mode === "inRelease" && !(await findRelease(db, found.group.projectId, command.release))) {
      throw new ValidationError(`statusDetails.inRelease: release "${command.release}" does not exist in this project.`);
    }
    const release = command.kind === "resolve" ? await latestRelease(db, found.group.projectId) : null;
    const change = planCommand(issue, assignee, command, { now: now(), latestRelease: release });
    if (change.status) issue = { ...issue, ...change.status };
    if (change.assignee !== undefined) assignee = change.assignee;
  }
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
