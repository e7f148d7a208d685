/**
 * The issue state machine, as pure functions: current state + command → the change to write (patch, assignee,
 * one audit entry). Knows nothing about Teams or HTTP; the admin API, card actions and ingest all come here.
 * An invalid transition throws InvalidTransitionError; it is never a silent no-op.
 */
import type { IssueStatus, IssueSubstatus, IgnoreConditions, Resolution } from "../db/schema";
import { InvalidTransitionError, ValidationError } from "../errors";

export type Actor = { kind: "user"; userId: number } | { kind: "api" } | { kind: "system" };

export type IgnoreCondition =
  | { kind: "forever" }
  | { kind: "count"; count: number }
  | { kind: "duration"; minutes: number }
  | { kind: "userCount"; count: number };

export type AssignTarget = { kind: "user"; id: number } | { kind: "team"; id: number };

export type IssueCommand =
  | { kind: "resolve"; mode: "immediate" }
  | { kind: "resolve"; mode: "inCurrentRelease" }
  | { kind: "resolve"; mode: "inNextRelease" }
  | { kind: "resolve"; mode: "inRelease"; release: string }
  | { kind: "unresolve" }
  | { kind: "ignore"; condition: IgnoreCondition }
  | { kind: "assign"; target: AssignTarget }
  | { kind: "unassign" };

/** The parts of an issue the state machine reads. */
export type IssueState = {
  status: IssueStatus;
  substatus: IssueSubstatus;
  timesSeen: number;
  usersSeen: number;
  resolution: Resolution | null;
  ignoreConditions: IgnoreConditions | null;
};

export type AssigneeState = { userId: number | null; teamId: number | null } | null;

export type StatusPatch = {
  status: IssueStatus;
  substatus: IssueSubstatus;
  resolution: Resolution | null;
  resolvedAt: number | null;
  ignoreConditions: IgnoreConditions | null;
};

export type PlannedChange = {
  /** New status fields, when the command changes status. */
  status?: StatusPatch;
  /** New assignee (null = unassigned), when the command changes assignment. */
  assignee?: { userId: number | null; teamId: number | null } | null;
  activity: { type: ActivityType; data: Record<string, unknown> };
};

export type ActivityType =
  | "set_resolved"
  | "set_resolved_in_release"
  | "set_resolved_in_next_release"
  | "set_unresolved"
  | "set_ignored"
  | "set_regression"
  | "set_escalating"
  | "assigned"
  | "unassigned"
  | "first_seen";

export type PlanContext = {
  now: number;
  /** The project's latest release at the time of the command (for "in the current/next release"). */
  latestRelease: { version: string; createdAt: number } | null;
};

const MAX_IGNORE_COUNT = 1_000_000;
const MAX_IGNORE_MINUTES = 366 * 24 * 60;

export function planCommand(issue: IssueState, assignee: AssigneeState, cmd: IssueCommand, ctx: PlanContext): PlannedChange {
  switch (cmd.kind) {
    case "resolve": {
      if (issue.status === "resolved") throw new InvalidTransitionError("The issue is already resolved.");
      const resolution = resolutionFor(cmd, ctx);
      const type =
        resolution.kind === "immediate"
          ? "set_resolved"
          : resolution.kind === "inRelease"
            ? "set_resolved_in_release"
            : "set_resolved_in_next_release";
      return {
        status: { status: "resolved", substatus: issue.substatus, resolution, resolvedAt: ctx.now, ignoreConditions: null },
        activity: { type, data: { ...resolution } },
      };
    }
    case "unresolve": {
      if (issue.status === "unresolved") throw new InvalidTransitionError("The issue is not resolved or ignored.");
      return {
        status: { status: "unresolved", substatus: "ongoing", resolution: null, resolvedAt: null, ignoreConditions: null },
        activity: { type: "set_unresolved", data: { from: issue.status } },
      };
    }
    case "ignore": {
      if (issue.status === "ignored") throw new InvalidTransitionError("The issue is already ignored; stop ignoring it first.");
      const conditions = ignoreConditionsFor(cmd.condition, issue, ctx.now);
      return {
        status: { status: "ignored", substatus: issue.substatus, resolution: null, resolvedAt: null, ignoreConditions: conditions },
        activity: { type: "set_ignored", data: { ...describeIgnore(conditions) } },
      };
    }
    case "assign": {
      const same =
        assignee &&
        ((cmd.target.kind === "user" && assignee.userId === cmd.target.id) ||
          (cmd.target.kind === "team" && assignee.teamId === cmd.target.id));
      if (same) throw new InvalidTransitionError(`The issue is already assigned to that ${cmd.target.kind}.`);
      const next = cmd.target.kind === "user" ? { userId: cmd.target.id, teamId: null } : { userId: null, teamId: cmd.target.id };
      return {
        assignee: next,
        activity: { type: "assigned", data: { assigneeType: cmd.target.kind, assigneeId: cmd.target.id } },
      };
    }
    case "unassign": {
      if (!assignee) throw new InvalidTransitionError("The issue is not assigned.");
      return { assignee: null, activity: { type: "unassigned", data: {} } };
    }
  }
}

function resolutionFor(cmd: Extract<IssueCommand, { kind: "resolve" }>, ctx: PlanContext): Resolution {
  switch (cmd.mode) {
    case "immediate":
      return { kind: "immediate" };
    case "inRelease":
      return { kind: "inRelease", release: cmd.release };
    case "inCurrentRelease":
      if (!ctx.latestRelease) {
        throw new ValidationError("The project has no release yet, so it cannot be resolved in the current release.");
      }
      return { kind: "inRelease", release: ctx.latestRelease.version };
    case "inNextRelease":
      return {
        kind: "inNextRelease",
        release: ctx.latestRelease?.version ?? null,
        releaseCreatedAt: ctx.latestRelease?.createdAt ?? null,
      };
  }
}

function ignoreConditionsFor(req: IgnoreCondition, issue: IssueState, now: number): IgnoreConditions {
  switch (req.kind) {
    case "forever":
      return { kind: "forever" };
    case "count":
      checkWhole(req.count, MAX_IGNORE_COUNT, "ignoreCount");
      return { kind: "count", count: req.count, baseline: issue.timesSeen };
    case "userCount":
      checkWhole(req.count, MAX_IGNORE_COUNT, "ignoreUserCount");
      return { kind: "userCount", count: req.count, baseline: issue.usersSeen };
    case "duration":
      checkWhole(req.minutes, MAX_IGNORE_MINUTES, "ignoreDuration");
      return { kind: "duration", minutes: req.minutes, until: now + req.minutes * 60_000 };
  }
}

function checkWhole(n: number, max: number, field: string) {
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ValidationError(`${field}: must be a whole number from 1 to ${max}.`);
}

function describeIgnore(c: IgnoreConditions): Record<string, unknown> {
  switch (c.kind) {
    case "forever":
      return { kind: "forever" };
    case "count":
      return { kind: "count", count: c.count };
    case "userCount":
      return { kind: "userCount", count: c.count };
    case "duration":
      return { kind: "duration", minutes: c.minutes, until: c.until };
  }
}

/** What an incoming event does to an issue's status. */
export type IngestTransition =
  | { kind: "none" }
  | { kind: "regression"; release: string | null }
  | { kind: "escalation"; reason: IgnoreConditions["kind"] };

/**
 * Decides, for an event arriving on an existing issue, whether it regresses a resolved issue or escalates an
 * ignored one. `eventRelease` is null when the event has no release; `eventReleaseCreatedAt` is when that release
 * was first seen (null when it is new, i.e. newer than everything).
 *
 * Release semantics (as Sentry's IssueResolution): resolved *in release R* regresses on events from R or a newer
 * release; resolved *in the next release* (R = the latest release at resolution) regresses only on events from a
 * release newer than R. Events without a release never regress a release-based resolution.
 * `after` is the issue's counters after this event.
 */
export function planIngestTransition(
  issue: IssueState,
  after: { timesSeen: number; usersSeen: number },
  event: { release: string | null; releaseCreatedAt: number | null; now: number },
  resolutionReleaseCreatedAt: number | null,
): IngestTransition {
  if (issue.status === "resolved") {
    const r = issue.resolution ?? { kind: "immediate" };
    if (r.kind === "immediate") return { kind: "regression", release: event.release };
    if (event.release === null) return { kind: "none" };
    const eventIsNewer = (than: number | null) =>
      event.releaseCreatedAt === null || than === null || event.releaseCreatedAt > than;
    if (r.kind === "inRelease") {
      if (event.release === r.release || eventIsNewer(resolutionReleaseCreatedAt)) {
        return { kind: "regression", release: event.release };
      }
      return { kind: "none" };
    }
    // inNextRelease
    if (r.release !== null && event.release === r.release) return { kind: "none" };
    if (r.release === null || eventIsNewer(r.releaseCreatedAt)) return { kind: "regression", release: event.release };
    return { kind: "none" };
  }
  if (issue.status === "ignored") {
    const c = issue.ignoreConditions ?? { kind: "forever" };
    switch (c.kind) {
      case "forever":
        return { kind: "none" };
      case "count":
        return after.timesSeen - c.baseline >= c.count ? { kind: "escalation", reason: "count" } : { kind: "none" };
      case "userCount":
        return after.usersSeen - c.baseline >= c.count ? { kind: "escalation", reason: "userCount" } : { kind: "none" };
      case "duration":
        return event.now >= c.until ? { kind: "escalation", reason: "duration" } : { kind: "none" };
    }
  }
  return { kind: "none" };
}

/**
 * For a batch of events arriving on one issue (arrival order), the first that changes its status and how; `after`
 * is the issue's counters after the whole batch, so an ignore "until N more events / users" is judged on every
 * event the batch counted. `releaseCreatedAt` answers when a release was first seen (null: new with this batch).
 */
export function planBatchTransition<E extends { release?: string }>(
  issue: IssueState,
  after: { timesSeen: number; usersSeen: number },
  events: readonly E[],
  releaseCreatedAt: (release: string) => number | null,
  resolutionReleaseCreatedAt: number | null,
  now: number,
): { transition: Exclude<IngestTransition, { kind: "none" }>; event: E } | null {
  for (const event of events) {
    const release = event.release ?? null;
    const transition = planIngestTransition(
      issue,
      after,
      { release, releaseCreatedAt: release === null ? null : releaseCreatedAt(release), now },
      resolutionReleaseCreatedAt,
    );
    if (transition.kind !== "none") return { transition, event };
  }
  return null;
}

/** The change an ingest transition writes (with its audit row naming the event that caused it). */
export function ingestTransitionChange(transition: Exclude<IngestTransition, { kind: "none" }>, eventId: string): PlannedChange {
  return transition.kind === "regression"
    ? {
        status: { status: "unresolved", substatus: "regressed", resolution: null, resolvedAt: null, ignoreConditions: null },
        activity: { type: "set_regression", data: { eventId, release: transition.release } },
      }
    : {
        status: { status: "unresolved", substatus: "escalating", resolution: null, resolvedAt: null, ignoreConditions: null },
        activity: { type: "set_escalating", data: { eventId, reason: transition.reason } },
      };
}

/**
 * An ignore that ran out with no new event (the cron, every 5 minutes): an issue ignored "for N minutes" whose time
 * has passed becomes unresolved, as Sentry's snooze expiry does. Null when nothing is due (not ignored any more, or
 * ignored until something other than a time, or not yet).
 */
export function planIgnoreExpiry(issue: IssueState, now: number): PlannedChange | null {
  const c = issue.ignoreConditions;
  if (issue.status !== "ignored" || c?.kind !== "duration" || now < c.until) return null;
  return {
    status: { status: "unresolved", substatus: "ongoing", resolution: null, resolvedAt: null, ignoreConditions: null },
    activity: { type: "set_unresolved", data: { from: "ignored", reason: "ignoreExpired" } },
  };
}
