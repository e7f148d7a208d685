/**
 * Teams may move a tenant to another Connector region: every verified activity carries the current
 * serviceUrl, and the integration it belongs to must send there from now on (docs/bot-transport.md, "Activities
 * Teams sends"). Called only after the request's token was verified, so the URL is trusted.
 */
import type { Db } from "../db/client";
import { pointIntegrationsAt } from "../db/integration-service-url";
import type { Activity } from "./activity-types";

// Per isolate: the serviceUrl last confirmed for a (tenant, team), so an unchanged URL costs no D1 write.
const confirmed = new Map<string, string>();
const MAX_CONFIRMED = 10_000;

/** The tenant and team an activity belongs to, as the integrations table keys them. */
function scopeOf(activity: Activity): { tenantId: string; teamId: string | null } | null {
  const tenantId = activity.channelData?.tenant?.id ?? activity.conversation?.tenantId;
  if (typeof tenantId !== "string" || !tenantId) return null;
  const teamId = activity.channelData?.team?.id;
  return { tenantId, teamId: typeof teamId === "string" && teamId ? teamId : null };
}

/**
 * Points the activity's integrations (its team's install and its tenant's personal install) at the
 * activity's serviceUrl when they hold another one. Returns how many rows changed.
 */
export async function refreshStoredServiceUrl(db: Db, activity: Activity, now: number): Promise<number> {
  const serviceUrl = activity.serviceUrl;
  const scope = scopeOf(activity);
  if (typeof serviceUrl !== "string" || !serviceUrl || !scope) return 0;
  const memoKey = `${scope.tenantId}|${scope.teamId ?? ""}`;
  if (confirmed.get(memoKey) === serviceUrl) return 0;

  const changed = await pointIntegrationsAt(db, scope, serviceUrl, now);

  if (confirmed.size >= MAX_CONFIRMED) confirmed.clear();
  confirmed.set(memoKey, serviceUrl);
  return changed;
}

/** Forgets the per-isolate memo (tests). */
export function clearServiceUrlMemo(): void {
  confirmed.clear();
}
