/**
 * Linking a Teams account by signing in: the signed link carries the Teams user's (tenant, aadObjectId); the web
 * session carries the (tid, oid) it signed in with. The link is made only when they are equal — the person signed
 * in to the web app as the very account that asked in Teams — and only in the active installations of that tenant
 * whose organization has the signed-in user as a member. Unlinking asks the same proof.
 */
import { isOrgMember } from "../org-role";
import type { Db } from "../../db/client";
import { activeTenantIntegrations, getIntegration, type IntegrationRow } from "../../db/integrations";
import type { LinkData } from "../../signed-link-data";
import type { Viewer } from "./session";

export type LinkDecision =
  | { kind: "allowed"; integrations: IntegrationRow[] }
  /** Signed in as another Microsoft account than the Teams one. */
  | { kind: "other_account" }
  /** The right account, but none of the tenant's connected organizations has this user. */
  | { kind: "not_member" };

/** Whether the viewer's sign-in is the Teams account of the link. */
export function sameMicrosoftAccount(viewer: Pick<Viewer, "tenantId" | "objectId">, data: Pick<LinkData, "tenantId" | "aadObjectId">): boolean {
  return !!data.aadObjectId && viewer.tenantId === data.tenantId && viewer.objectId === data.aadObjectId;
}

/** Integrations this link may link in: the named ones, or every active one of the tenant. */
export async function candidateIntegrations(db: Db, data: LinkData): Promise<IntegrationRow[]> {
  if (!data.integrationIds.length) return activeTenantIntegrations(db, data.tenantId);
  const rows = await Promise.all(data.integrationIds.slice(0, 20).map((id) => getIntegration(db, id)));
  return rows.filter((r): r is IntegrationRow => !!r && r.status === "active" && r.tenantId === data.tenantId);
}

export async function decideLink(db: Db, viewer: Viewer, data: LinkData): Promise<LinkDecision> {
  if (!sameMicrosoftAccount(viewer, data)) return { kind: "other_account" };
  const allowed: IntegrationRow[] = [];
  for (const i of await candidateIntegrations(db, data)) {
    if (i.organizationId && (await isOrgMember(db, viewer.userId, i.organizationId))) allowed.push(i);
  }
  return allowed.length ? { kind: "allowed", integrations: allowed } : { kind: "not_member" };
}
