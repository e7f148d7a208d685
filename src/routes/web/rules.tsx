/**
 * The alert rule pages of an organization the viewer belongs to (else 404); members read, admins manage (else 403):
 *   GET       /organizations/<slug>/alerts/rules/                              the rules per project, with status
 *   GET/POST  /organizations/<slug>/alerts/rules/new/?project=<slug>           create (the target from the picker)
 *   GET       /organizations/<slug>/alerts/rules/<project>/<id>/details/       the rule (what a card's footer opens)
 *   GET/POST  /organizations/<slug>/alerts/rules/<project>/<id>/edit/          edit
 *   POST      /organizations/<slug>/alerts/rules/<project>/<id>/test/          send a test card to the target now
 *   POST      /organizations/<slug>/alerts/rules/<project>/<id>/status/        status=active|disabled
 *   GET/POST  /organizations/<slug>/alerts/rules/<project>/<id>/delete/        confirm, then delete (soft, like the API)
 * Rules are checked with the rule API's schemas and stored with the same `newRuleValues`; a failed submit writes nothing.
 */
import { Hono, type Context } from "hono";
import { newRuleValues, type RuleTarget } from "../../alerts/rule-definition";
import { loadTargetChoices, resolvePickedTarget } from "../../alerts/target-choices";
import { connectorFor } from "../../bot/connector-client";
import { buildTestCardMessage } from "../../cards/test-card";
import { ruleUrl } from "../../cards/links";
import { insertRule, updateRule } from "../../db/alert-rules";
import { getIntegration, organizationInstallations } from "../../db/integrations";
import type { OrganizationRow } from "../../db/organizations";
import { listProjects } from "../../db/projects";
import { findRuleInProject, recentRuleDeliveries, recentRuleFires, rulesOfOrganization } from "../../db/rule-details";
import { publicBaseUrl } from "../../env";
import { NotFoundError } from "../../errors";
import { DeleteRulePage, RuleFormPage, RuleListPage, rulePath, rulesBase, type PickerGroup } from "../../web/alert-rule-pages";
import { connectorProblem, connectorProblemOf, connectorProblemText, parseConnectorProblem } from "../../web/connector-problem";
import { blankRuleForm, checkRuleForm, KEEP_TARGET, readRuleForm, ruleFormOf, type RuleFormErrors, type RuleFormFields } from "../../web/rule-form";
import { RulePage } from "../../web/rule-page";
import { adminsOnlyPage, managingForm } from "./manage";
import { doneText, orgOfViewer, webDb, type WebEnv } from "./web-context";

export const ruleRoutes = new Hono<WebEnv>();

/** Calls made while a person waits for the page: one retry, no long waits. */
const PAGE_CONNECTOR = { maxRetries: 1, maxWaitMs: 2_000, timeoutMs: 8_000 };

const DONE: Record<string, string> = {
  created: "Rule created. Send a test card to check that it reaches Teams.",
  saved: "Rule saved.",
  deleted: "Rule deleted.",
  enabled: "Rule enabled: it posts again from the next matching issue.",
  disabled: "Rule disabled: it posts nothing until enabled again.",
};

async function ruleOf(c: Context<WebEnv>, org: OrganizationRow) {
  const raw = c.req.param("id") ?? "";
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw new NotFoundError("No such page.");
  const found = await findRuleInProject(webDb(c), org.id, c.req.param("project") ?? "", Number(raw));
  if (!found) throw new NotFoundError("No such page.");
  return found;
}

/** Every active team installation of the organization, with its live channels and people (or why not). */
async function loadPicker(c: Context<WebEnv>, organizationId: number): Promise<PickerGroup[]> {
  const installs = (await organizationInstallations(webDb(c), organizationId)).map((r) => r.integration).filter((i) => i.status === "active" && i.installationType === "team");
  return Promise.all(
    installs.map(async (integration): Promise<PickerGroup> => {
      const team = { integrationId: integration.id, integrationName: integration.name };
      try {
        const choices = await loadTargetChoices(c.env.CACHE, connectorFor(c.env, integration.serviceUrl, PAGE_CONNECTOR), integration);
        return { ...team, ...choices, problem: null };
      } catch (err) {
        console.warn("web: target picker could not list a team", integration.id, err instanceof Error ? err.name : "error");
        return { ...team, channels: [], people: [], problem: connectorProblem(err) };
      }
    }),
  );
}

/** The picked target as a rule target, or the error to show next to the picker. */
async function pickedTarget(c: Context<WebEnv>, org: OrganizationRow, picker: PickerGroup[], picked: { integrationId: number; type: "channel" | "user"; id: string }): Promise<RuleTarget | string> {
  const team = picker.find((g) => g.integrationId === picked.integrationId);
  const integration = team ? await getIntegration(webDb(c), team.integrationId) : null;
  if (!team || !integration || integration.organizationId !== org.id) return "That team is not connected to this organization any more. Choose again.";
  if (team.problem) return `Teams could not be asked about that team: ${team.problem}`;
  try {
    const target = await resolvePickedTarget(connectorFor(c.env, integration.serviceUrl, PAGE_CONNECTOR), integration, team, picked);
    return target ?? "Teams no longer lists that channel or person. Choose again.";
  } catch (err) {
    return `The personal chat could not be opened: ${connectorProblem(err)}`;
  }
}

function targetText(r: { targetType: string; targetName: string }, integrationName: string): string {
  return `${r.targetType === "channel" ? "channel " : ""}${r.targetName} in ${integrationName || "Teams"}`;
}

ruleRoutes.get("/:slug/alerts/rules/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const db = webDb(c);
  const [projects, rules] = await Promise.all([listProjects(db, org.id), rulesOfOrganization(db, org.id)]);
  return c.html(
    <RuleListPage
      frame={{ viewer: c.get("viewer"), orgSlug: org.slug }}
      org={org}
      projects={projects}
      rules={rules}
      canManage={role === "admin"}
      notice={doneText(c, DONE)}
    />,
  );
});

async function projectOf(c: Context<WebEnv>, org: OrganizationRow) {
  const slug = c.req.query("project") ?? "";
  const project = (await listProjects(webDb(c), org.id)).find((p) => p.slug === slug);
  if (!project) throw new NotFoundError("No such page.");
  return project;
}

function renderForm(
  c: Context<WebEnv>,
  org: OrganizationRow,
  project: { slug: string; name: string },
  picker: PickerGroup[],
  fields: RuleFormFields,
  errors: RuleFormErrors,
  existing: { rule: NonNullable<Awaited<ReturnType<typeof findRuleInProject>>> } | null,
) {
  return c.html(
    <RuleFormPage
      frame={{ viewer: c.get("viewer"), orgSlug: org.slug }}
      org={org}
      project={project}
      rule={existing?.rule.rule ?? null}
      currentTargetText={existing ? targetText(existing.rule.rule, existing.rule.integrationName) : null}
      fields={fields}
      errors={errors}
      picker={picker}
    />,
    Object.keys(errors).length ? 400 : 200,
  );
}

ruleRoutes.get("/:slug/alerts/rules/new/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const project = await projectOf(c, org);
  if (role !== "admin") return adminsOnlyPage(c, "create alert rules");
  return renderForm(c, org, project, await loadPicker(c, org.id), blankRuleForm(), {}, null);
});

ruleRoutes.post("/:slug/alerts/rules/new/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const project = await projectOf(c, org);
  const posted = await managingForm(c, role, "create alert rules");
  if ("refusal" in posted) return posted.refusal;
  const fields = readRuleForm(posted.form);
  const picker = await loadPicker(c, org.id);
  const checked = checkRuleForm(fields, { editing: false });
  if (!checked.ok) return renderForm(c, org, project, picker, fields, checked.errors, null);
  const target = await pickedTarget(c, org, picker, checked.picked as Exclude<typeof checked.picked, string>);
  if (typeof target === "string") return renderForm(c, org, project, picker, fields, { target }, null);
  const rule = await insertRule(
    webDb(c),
    newRuleValues({
      projectId: project.id,
      definition: checked.definition,
      target,
      frequencyMinutes: checked.frequencyMinutes,
      createdBy: c.get("viewer").userId,
      createdVia: "web",
      now: Date.now(),
    }),
  );
  return c.redirect(`${rulePath(org.slug, project.slug, rule.id, "details")}?done=created`, 303);
});

ruleRoutes.get("/:slug/alerts/rules/:project/:id/details/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const found = await ruleOf(c, org);
  const done = doneText(c, DONE);
  return showRule(c, org, role === "admin", found, done ? { kind: "ok", text: done } : testCardNotice(c.req.query("test"), targetText(found.rule, found.integrationName)));
});

/**
 * The outcome of "Send a test card", from the `?test=` its POST redirected to (so reloading the page shows it again
 * rather than sending another card). Only our own keys mean anything.
 */
function testCardNotice(raw: string | undefined, where: string): { kind: "ok" | "error"; text: string } | undefined {
  if (raw === "delivered") return { kind: "ok", text: `Delivered: Teams accepted the test card for ${where}.` };
  if (raw === "not_connected") return { kind: "error", text: "Not sent: the rule's Teams installation is not connected (see Teams installations)." };
  const problem = parseConnectorProblem(raw);
  return problem ? { kind: "error", text: `Not delivered to ${where}. ${connectorProblemText(problem)}` } : undefined;
}

async function showRule(
  c: Context<WebEnv>,
  org: OrganizationRow,
  canManage: boolean,
  found: NonNullable<Awaited<ReturnType<typeof findRuleInProject>>>,
  notice: { kind: "ok" | "error"; text: string } | undefined,
  status: 200 | 400 = 200,
) {
  const db = webDb(c);
  const [fires, deliveries] = await Promise.all([recentRuleFires(db, found.rule.id), recentRuleDeliveries(db, found.rule.id)]);
  return c.html(
    <RulePage
      frame={{ viewer: c.get("viewer"), orgSlug: org.slug }}
      org={org}
      project={{ slug: found.projectSlug, name: found.projectName }}
      rule={found.rule}
      integrationName={found.integrationName}
      integrationStatus={found.integrationStatus}
      canManage={canManage}
      notice={notice}
      fires={fires}
      deliveries={deliveries}
    />,
    status,
  );
}

ruleRoutes.get("/:slug/alerts/rules/:project/:id/edit/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const found = await ruleOf(c, org);
  if (role !== "admin") return adminsOnlyPage(c, "change alert rules");
  const project = { slug: found.projectSlug, name: found.projectName };
  return renderForm(c, org, project, await loadPicker(c, org.id), ruleFormOf(found.rule, KEEP_TARGET), {}, { rule: found });
});

ruleRoutes.post("/:slug/alerts/rules/:project/:id/edit/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const found = await ruleOf(c, org);
  const posted = await managingForm(c, role, "change alert rules");
  if ("refusal" in posted) return posted.refusal;
  const project = { slug: found.projectSlug, name: found.projectName };
  const fields = readRuleForm(posted.form);
  const picker = await loadPicker(c, org.id);
  const checked = checkRuleForm(fields, { editing: true });
  if (!checked.ok) return renderForm(c, org, project, picker, fields, checked.errors, { rule: found });
  let target: RuleTarget | null = null;
  if (checked.picked !== KEEP_TARGET) {
    const resolved = await pickedTarget(c, org, picker, checked.picked);
    if (typeof resolved === "string") return renderForm(c, org, project, picker, fields, { target: resolved }, { rule: found });
    target = resolved;
  }
  await updateRule(webDb(c), found.rule.id, {
    name: checked.definition.name,
    conditions: checked.definition.conditions,
    filters: checked.definition.filters,
    frequencyMinutes: checked.frequencyMinutes,
    ...target,
  });
  return c.redirect(`${rulePath(org.slug, found.projectSlug, found.rule.id, "details")}?done=saved`, 303);
});

ruleRoutes.post("/:slug/alerts/rules/:project/:id/test/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const found = await ruleOf(c, org);
  const posted = await managingForm(c, role, "send test cards");
  if ("refusal" in posted) return posted.refusal;
  const rule = found.rule;
  const outcome = (test: string) => c.redirect(`${rulePath(org.slug, found.projectSlug, rule.id, "details")}?test=${test}`, 303);
  const integration = await getIntegration(webDb(c), rule.integrationId);
  if (!integration || integration.status !== "active") return outcome("not_connected");
  const message = buildTestCardMessage({
    rule,
    project: { name: found.projectName },
    ruleUrl: ruleUrl(publicBaseUrl(c.env, c.req.url), org.slug, found.projectSlug, rule.id),
    sentBy: c.get("viewer").email,
  });
  try {
    await connectorFor(c.env, integration.serviceUrl, PAGE_CONNECTOR).sendToConversation(rule.conversationId, message);
    return outcome("delivered");
  } catch (err) {
    return outcome(connectorProblemOf(err));
  }
});

ruleRoutes.post("/:slug/alerts/rules/:project/:id/status/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const found = await ruleOf(c, org);
  const posted = await managingForm(c, role, "change alert rules");
  if ("refusal" in posted) return posted.refusal;
  const status = posted.form.status;
  if (status !== "active" && status !== "disabled") {
    return showRule(c, org, true, found, { kind: "error", text: "Unknown status: choose Enable or Disable." }, 400);
  }
  await updateRule(webDb(c), found.rule.id, { status, statusReason: status === "disabled" ? `Disabled by ${c.get("viewer").email}` : null });
  return c.redirect(`${rulePath(org.slug, found.projectSlug, found.rule.id, "details")}?done=${status === "active" ? "enabled" : "disabled"}`, 303);
});

ruleRoutes.get("/:slug/alerts/rules/:project/:id/delete/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const found = await ruleOf(c, org);
  if (role !== "admin") return adminsOnlyPage(c, "delete alert rules");
  return c.html(<DeleteRulePage frame={{ viewer: c.get("viewer"), orgSlug: org.slug }} org={org} projectSlug={found.projectSlug} rule={found.rule} />);
});

ruleRoutes.post("/:slug/alerts/rules/:project/:id/delete/", async (c) => {
  const { org, role } = await orgOfViewer(c, c.req.param("slug"));
  const found = await ruleOf(c, org);
  const posted = await managingForm(c, role, "delete alert rules");
  if ("refusal" in posted) return posted.refusal;
  if (posted.form.confirm !== "yes") return c.redirect(rulePath(org.slug, found.projectSlug, found.rule.id, "delete"), 303);
  // Soft delete, as the API does: posted cards and deliveries keep pointing at the rule.
  await updateRule(webDb(c), found.rule.id, { status: "deleted", statusReason: "deleted" });
  return c.redirect(`${rulesBase(org.slug)}?done=deleted`, 303);
});
