/**
 * The Teams installations of an organization the viewer belongs to (else 404); members read, admins manage (else 403):
 *   GET       /organizations/<slug>/installations/                     each installation, its status, the doctor's findings
 *   GET/POST  /organizations/<slug>/installations/<id>/disconnect/     confirm, then disable it (history kept)
 *   POST      /organizations/<slug>/installations/<id>/reconnect/      a team: Teams must still have the app in it
 */
import { Hono, type Context } from "hono";
import { connectorFor } from "../../bot/connector-client";
import { findOrganizationIntegration, organizationInstallations, setIntegrationStatus } from "../../db/integrations";
import type { OrganizationRow } from "../../db/organizations";
import { NotFoundError } from "../../errors";
import { checksForIntegration } from "../admin/doctor";
import { connectorProblem } from "../../web/connector-problem";
import { DisconnectPage, InstallationsPage, installationsBase } from "../../web/installation-pages";
import { adminsOnlyPage, managingForm } from "./manage";
import { doneText, orgOfViewer, webDb, type WebEnv } from "./web-context";

export const installationRoutes = new Hono<WebEnv>();

const DONE: Record<string, string> = {
  disconnected: "Disconnected: nothing is sent to it any more.",
  reconnected: "Reconnected: alerts are sent to it again.",
};

async function installationOf(c: Context<WebEnv>, org: OrganizationRow) {
  const raw = c.req.param("id") ?? "";
  const integration = /^[1-9]\d{0,15}$/.test(raw) ? await findOrganizationIntegration(webDb(c), org.id, Number(raw)) : null;
  if (!integration) throw new NotFoundError("No such page.");
  return integration;
}

async function showInstallations(c: Context<WebEnv>, org: OrganizationRow, canManage: boolean, notice?: { kind: "ok" | "error"; text: string }, status: 200 | 502 = 200) {
  const db = webDb(c);
  const now = Date.now();
  const rows = await organizationInstallations(db, org.id);
  const installations = await Promise.all(
    rows.map(async (r) => ({
      integration: r.integration,
      lastActivityAt: Math.max(r.lastDeliveryAt ?? 0, r.integration.updatedAt),
      checks: await checksForIntegration(db, r.integration, now, () => "Then press Enable on the rule's page (Alert rules)."),
    })),
  );
  return c.html(<InstallationsPage frame={{ viewer: c.get("viewer"), orgSlug: org.slug }} org={org} installations={installations} canManage={canManage} notice={notice} />, status);
}

installationRoutes.get("/:slug/installations/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const done = doneText(c, DONE);
  return showInstallations(c, org, role === "admin", done ? { kind: "ok", text: done } : undefined);
});

installationRoutes.get("/:slug/installations/:id/disconnect/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const integration = await installationOf(c, org);
  if (role !== "admin") return adminsOnlyPage(c, "disconnect installations");
  return c.html(<DisconnectPage frame={{ viewer: c.get("viewer"), orgSlug: org.slug }} org={org} integration={integration} />);
});

installationRoutes.post("/:slug/installations/:id/disconnect/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const integration = await installationOf(c, org);
  const posted = await managingForm(c, role, "disconnect installations");
  if ("refusal" in posted) return posted.refusal;
  if (posted.form.confirm !== "yes") return c.redirect(`${installationsBase(org.slug)}${integration.id}/disconnect/`, 303);
  await setIntegrationStatus(webDb(c), integration.id, "disabled", `Disconnected on the web by ${c.get("viewer").email}.`, Date.now());
  return c.redirect(`${installationsBase(org.slug)}?done=disconnected`, 303);
});

installationRoutes.post("/:slug/installations/:id/reconnect/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const integration = await installationOf(c, org);
  const posted = await managingForm(c, role, "reconnect installations");
  if ("refusal" in posted) return posted.refusal;
  if (integration.status === "active") return c.redirect(`${installationsBase(org.slug)}?done=reconnected`, 303);
  if (integration.installationType === "team") {
    try {
      // The bot can read the team only while the app is in it.
      await connectorFor(c.env, integration.serviceUrl, { maxRetries: 1, maxWaitMs: 2_000, timeoutMs: 8_000 }).getTeamDetails(integration.externalId);
    } catch (err) {
      const text = `Not reconnected: Teams did not let the bot read the team. ${connectorProblem(err)} If the app was removed, add it to the team again in Teams and use Complete setup on its welcome card.`;
      return showInstallations(c, org, true, { kind: "error", text }, 502);
    }
  }
  await setIntegrationStatus(webDb(c), integration.id, "active", null, Date.now());
  return c.redirect(`${installationsBase(org.slug)}?done=reconnected`, 303);
});
