/** GET /organizations/<slug>/alerts/rules/<project>/<id>/details/: the rule a card was posted by (members only, else 404). */
import { Hono } from "hono";
import { findRuleInProject, recentRuleDeliveries, recentRuleFires } from "../../db/rule-details";
import { NotFoundError } from "../../errors";
import { RulePage } from "../../web/rule-page";
import { orgOfViewer, webDb, type WebEnv } from "./web-context";

export const ruleRoutes = new Hono<WebEnv>();

ruleRoutes.get("/:slug/alerts/rules/:project/:id/details/", async (c) => {
  const { org } = await orgOfViewer(c, c.req.param("slug"));
  const raw = c.req.param("id");
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw new NotFoundError("No such page.");
  const db = webDb(c);
  const found = await findRuleInProject(db, org.id, c.req.param("project"), Number(raw));
  if (!found) throw new NotFoundError("No such page.");
  const [fires, deliveries] = await Promise.all([recentRuleFires(db, found.rule.id), recentRuleDeliveries(db, found.rule.id)]);
  return c.html(
    <RulePage
      frame={{ viewer: c.get("viewer"), orgSlug: org.slug }}
      org={org}
      project={{ slug: found.projectSlug, name: found.projectName }}
      rule={found.rule}
      integrationName={found.integrationName}
      fires={fires}
      deliveries={deliveries}
    />,
  );
});
