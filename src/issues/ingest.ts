import type { Db } from "../db/client";
import type { ProjectRow } from "../db/projects";
import type { NormalizedEvent } from "./event";

export type IngestResult = { id: string; groupId: number; shortId: string; isNew: boolean; isRegression: boolean };

export type IngestDeps = { now: () => number; /** Alerting hook (rule evaluation + enqueue); optional. */ afterIngest?: unknown };

/** Turns one validated event into an issue (group) update. Being written by the lead. */
export async function ingestEvent(
  _db: Db,
  _project: ProjectRow,
  _event: NormalizedEvent,
  _deps: IngestDeps,
): Promise<IngestResult> {
  throw new Error("not implemented yet");
}
