/**
 * The delivery log of an organization the viewer belongs to (else 404); members read, admins retry (else 403):
 *   GET   /organizations/<slug>/deliveries/?status=&issue=&rule=&conversation=&cursor=
 *   POST  /organizations/<slug>/deliveries/<id>/retry/     a dead delivery, re-queued (retryDeadDelivery, as the admin API)
 */
import { Hono, type Context } from "hono";
import * as z from "zod/mini";
import { retryDeadDelivery } from "../../alerts/retry-delivery";
import { findOrganizationDelivery, organizationDeliveries } from "../../db/deliveries";
import type { OrganizationRow } from "../../db/organizations";
import { ConflictError, NotFoundError } from "../../errors";
import "../../http/validate";
import { DeliveriesPage, deliveriesBase, DELIVERY_STATUSES, type DeliveryFilterFields } from "../../web/delivery-pages";
import { managingForm } from "./manage";
import { orgOfViewer, webDb, type WebEnv } from "./web-context";

export const deliveryRoutes = new Hono<WebEnv>();

const PAGE_SIZE = 50;
const id = z.optional(z.coerce.number().check(z.int(), z.positive()));
const filterSchema = z.object({
  status: z.optional(z.enum(DELIVERY_STATUSES)),
  issue: id,
  rule: id,
  conversation: z.optional(z.string().check(z.maxLength(400))),
  cursor: id,
});

const FIELD_NAMES: Record<string, string> = { status: "Status", issue: "Issue id", rule: "Rule id", conversation: "Conversation id", cursor: "Page" };

async function showDeliveries(c: Context<WebEnv>, org: OrganizationRow, canManage: boolean, notice?: { kind: "ok" | "error"; text: string }, status: 200 | 409 = 200) {
  const q = c.req.query();
  const filters: DeliveryFilterFields = { status: q.status ?? "", issue: q.issue ?? "", rule: q.rule ?? "", conversation: q.conversation ?? "" };
  // Empty fields are "any" (the filter form sends them empty).
  const parsed = filterSchema.safeParse(Object.fromEntries(Object.entries({ ...filters, cursor: q.cursor ?? "" }).filter(([, v]) => v !== "")));
  const frame = { viewer: c.get("viewer"), orgSlug: org.slug };
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = FIELD_NAMES[String(issue.path[0])] ?? "A filter";
    return c.html(
      <DeliveriesPage frame={frame} org={org} filters={filters} filterError={`${field}: ${issue.message}. Correct it and filter again.`} deliveries={[]} nextCursor={null} canManage={canManage} />,
      400,
    );
  }
  const f = parsed.data;
  const rows = await organizationDeliveries(webDb(c), org.id, { status: f.status, issueId: f.issue, ruleId: f.rule, conversationId: f.conversation, cursor: f.cursor, limit: PAGE_SIZE });
  const nextCursor = rows.length === PAGE_SIZE ? rows[rows.length - 1].delivery.id : null;
  return c.html(
    <DeliveriesPage frame={frame} org={org} filters={filters} filterError={null} deliveries={rows} nextCursor={nextCursor} canManage={canManage} notice={notice} />,
    status,
  );
}

deliveryRoutes.get("/:slug/deliveries/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const retried = c.req.query("retried");
  const notice = retried && /^\d{1,16}$/.test(retried) ? { kind: "ok" as const, text: `Delivery ${retried} is queued again; its outcome shows here (reload).` } : undefined;
  return showDeliveries(c, org, role === "admin", notice);
});

deliveryRoutes.post("/:slug/deliveries/:id/retry/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const raw = c.req.param("id");
  const delivery = /^[1-9]\d{0,15}$/.test(raw) ? await findOrganizationDelivery(webDb(c), org.id, Number(raw)) : null;
  if (!delivery) throw new NotFoundError("No such page.");
  const posted = await managingForm(c, role, "retry deliveries");
  if ("refusal" in posted) return posted.refusal;
  try {
    await retryDeadDelivery(c.env, webDb(c), delivery.id, Date.now());
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    return showDeliveries(c, org, true, { kind: "error", text: `Delivery ${delivery.id} was not retried: it is ${delivery.status === "dead" ? "no longer dead" : delivery.status}, and only a dead delivery can be retried.` }, 409);
  }
  return c.redirect(`${deliveriesBase(org.slug)}?retried=${delivery.id}`, 303);
});
