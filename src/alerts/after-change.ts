import type { Env } from "../env";
import type { IssueChanged } from "../issues/issue-service";

/** After any issue change: update every posted card (alerting work fills this in). */
export async function afterIssueChange(
  _env: Env,
  _ctx: { waitUntil(p: Promise<unknown>): void } | undefined,
  _changed: IssueChanged,
  _opts: { skip?: { conversationId: string; activityId: string } } = {},
): Promise<void> {}
