/**
 * The alert rule, Teams installation and Deliveries pages inside workerd with real D1 and the real queues: signed in
 * through the stand-in authority, rules made with the form and the live channel/people picker (the Connector stand-in
 * answers the conversations list and the paged roster, and its errors), a test card sent, a dead delivery retried, and
 * who may see and do what (members read, admins manage, another organization gets 404).
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEST_CARD_HEADLINE } from "../../src/cards/test-card";
import { admin, ingest, installAndSetUp, settleDeliveries, signedInAs } from "../support/flows";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { seedOrg, type SeededOrg } from "../support/seed";
import { ALERTS_CHANNEL, newTeamsWorld, TEAM_ID, teamsUser } from "../support/teams";
import { csrfIn, type Browser } from "../support/web-browser";

let ms: MicrosoftStandIn;

beforeEach(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
  ms.connector.teams.set(TEAM_ID, { details: { id: TEAM_ID, name: "Platform" }, channels: [{ id: TEAM_ID, name: null }, { id: ALERTS_CHANNEL, name: "Alerts" }] });
  ms.connector.members.set(TEAM_ID, [
    { id: "29:grace", name: "Grace Hopper", aadObjectId: "aad-grace" },
    { id: "29:ada", name: "Ada Lovelace", aadObjectId: "aad-ada" },
  ]);
});
afterEach(async () => {
  await settleDeliveries().catch(() => {});
  ms.stop();
});

async function world() {
  const s = await seedOrg();
  const integrationId = await installAndSetUp(ms, s, teamsUser("Ada", s.admin.email));
  return { s, integrationId };
}

const rulesPath = (s: SeededOrg) => `/organizations/${s.org.slug}/alerts/rules/`;
const newRulePath = (s: SeededOrg) => `${rulesPath(s)}new/?project=${s.project.slug}`;
const rulePage = (s: SeededOrg, id: number, page: string) => `${rulesPath(s)}${s.project.slug}/${id}/${page}/`;
const unescape = (html: string) => html.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");

/** The picker's option value whose label is `label` (read from the page, as a browser would submit it). */
function optionValue(html: string, label: string): string {
  const m = new RegExp(`<option value="([^"]+)"[^>]*>${label}</option>`).exec(html);
  if (!m) throw new Error(`no option ${label} in the picker`);
  return unescape(m[1]);
}

async function ruleRows(projectId: number) {
  return (await env.DB.prepare("select * from alert_rules where project_id = ? order by id").bind(projectId).all<Record<string, any>>()).results;
}

async function createRuleWithForm(b: Browser, s: SeededOrg, target: string, extra: Record<string, string> = {}) {
  const form = await (await b.fetch(newRulePath(s))).text();
  const res = await b.post(newRulePath(s), {
    csrf: csrfIn(form),
    name: "Checkout errors",
    newIssue: "on",
    levelAtLeast: "error",
    environment: "production",
    tags: "region=eu\nshard = 7",
    frequencyCount: "100",
    frequencyWindowMinutes: "60",
    frequencyMinutes: "15",
    target: optionValue(form, target),
    ...extra,
  });
  return res;
}

describe("alert rules", () => {
  it("an admin creates a rule with the picker fed by the team's live channels and people; the lists are cached", async () => {
    const { s, integrationId } = await world();
    const b = await signedInAs(ms, s.admin);
    const listCalls = () => ms.connector.calls.filter((c) => c.method === "GET" && (c.segments.at(-1) === "conversations" || c.segments.at(-1) === "pagedmembers")).length;
    const before = listCalls();
    const page = await b.fetch(newRulePath(s));
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const label of ["General", "Alerts", "Grace Hopper", "Ada Lovelace"]) expect(html).toContain(`>${label}</option>`);
    expect(html).toContain("Platform: channels");
    expect(listCalls()).toBe(before + 2);
    // Within a minute the lists come from KV: a second visit does not ask Teams.
    await b.fetch(newRulePath(s));
    expect(listCalls()).toBe(before + 2);

    const res = await createRuleWithForm(b, s, "Alerts");
    expect(res.status, await res.clone().text()).toBe(303);
    const [rule] = await ruleRows(s.project.id);
    expect(rule).toMatchObject({
      name: "Checkout errors",
      integration_id: integrationId,
      target_name: "Alerts",
      target_type: "channel",
      conversation_id: ALERTS_CHANNEL,
      frequency_minutes: 15,
      status: "active",
      created_via: "web",
      created_by_user_id: s.admin.id,
    });
    expect(JSON.parse(rule.conditions)).toEqual({ newIssue: true, frequency: { count: 100, windowMinutes: 60 } });
    expect(JSON.parse(rule.filters)).toEqual({ levelAtLeast: "error", environment: "production", tags: { region: "eu", shard: "7" } });
    expect(res.headers.get("location")).toBe(`${rulePage(s, rule.id, "details")}?done=created`);
    const details = await (await b.fetch(res.headers.get("location")!)).text();
    expect(details).toContain("Rule created.");
    // The API sees the same rule.
    const api = (await (await admin(`/rules/${rule.id}`)).json()) as any;
    expect(api).toMatchObject({ name: "Checkout errors", action: { integrationId, target: "Alerts", conversationId: ALERTS_CHANNEL }, createdVia: "web" });
    // The list shows it, active.
    const list = await (await b.fetch(rulesPath(s))).text();
    expect(list).toContain("Checkout errors");
    expect(list).toContain('<span class="badge resolved">active</span>');
  });

  it("a person from the roster becomes a 1:1 chat target", async () => {
    const { s } = await world();
    const b = await signedInAs(ms, s.admin);
    expect((await createRuleWithForm(b, s, "Grace Hopper")).status).toBe(303);
    const [rule] = await ruleRows(s.project.id);
    expect(rule).toMatchObject({ target_type: "user", target_name: "Grace Hopper", conversation_id: "a:standin-personal-29:grace" });
  });

  it("shows each field's error next to it and writes nothing when the form is wrong", async () => {
    const { s, integrationId } = await world();
    const b = await signedInAs(ms, s.admin);
    const form = await (await b.fetch(newRulePath(s))).text();
    const res = await b.post(newRulePath(s), {
      csrf: csrfIn(form),
      name: "   ",
      levelAtLeast: "loud",
      environment: "x".repeat(65),
      tags: "region",
      frequencyMinutes: "99999",
      target: "",
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("The rule was not saved");
    const errorOf = (field: string) => new RegExp(`<p class="error" id="${field}-error">([^<]+)</p>`).exec(html)?.[1];
    expect(errorOf("name")).toMatch(/too small|at least 1/i);
    expect(errorOf("conditions")).toBe("Choose at least one condition.");
    expect(errorOf("levelAtLeast")).toMatch(/expected one of/i);
    expect(errorOf("environment")).toMatch(/too big/i);
    expect(errorOf("tags")).toBe("Line 1: write one tag a line as key=value.");
    expect(errorOf("frequencyMinutes")).toMatch(/too big|43200/i);
    expect(errorOf("target")).toBe("Choose where the alerts go.");
    expect(await ruleRows(s.project.id)).toHaveLength(0);

    // The frequency condition: both numbers, whole; what was typed is shown again.
    const freq = await b.post(newRulePath(s), { csrf: csrfIn(form), name: "Bursts", frequencyCount: "lots", frequencyWindowMinutes: "", frequencyMinutes: "30", target: "" });
    expect(freq.status).toBe(400);
    const freqHtml = await freq.text();
    const freqError = (field: string) => new RegExp(`<p class="error" id="${field}-error">([^<]+)</p>`).exec(freqHtml)?.[1];
    expect(freqError("frequencyCount")).toBe("Enter a whole number.");
    expect(freqError("frequencyWindowMinutes")).toBe("Enter the window in minutes.");
    expect(freqHtml).toContain('value="lots"');
    expect(freqHtml).toContain('value="Bursts"');
    expect(await ruleRows(s.project.id)).toHaveLength(0);

    // A target value that Teams did not offer (typed by hand) is refused too.
    const forged = await b.post(newRulePath(s), { csrf: csrfIn(form), name: "x", newIssue: "on", frequencyMinutes: "30", target: `${integrationId}:channel:19:made-up@thread.tacv2` });
    expect(forged.status).toBe(400);
    expect(await ruleRows(s.project.id)).toHaveLength(0);
  });

  it("says in words when Teams cannot list the team (never Microsoft's text), and saves nothing", async () => {
    const { s, integrationId } = await world();
    const b = await signedInAs(ms, s.admin);
    ms.connector.enqueue({ status: 403, body: { error: { code: "BotNotInConversationRoster", message: "raw upstream words 12345" } } }, { method: "GET", path: /conversations$/ });
    const page = await b.fetch(newRulePath(s));
    const html = await page.text();
    expect(html).toContain("Platform: its channels and people could not be listed. The bot is no longer a member of that team or chat (it was removed).");
    expect(html).not.toContain("raw upstream words");
    expect(html).not.toContain(">Alerts</option>");
    // Submitting a channel while Teams still fails: refused next to the picker, nothing saved.
    ms.connector.enqueue({ status: 403, body: { error: { code: "BotNotInConversationRoster" } } }, { method: "GET", path: /conversations$/ });
    const res = await b.post(newRulePath(s), { csrf: csrfIn(html), name: "x", newIssue: "on", frequencyMinutes: "30", target: `${integrationId}:channel:${ALERTS_CHANNEL}` });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<p class="error" id="target-error">Teams could not be asked about that team: The bot is no longer a member');
    expect(await ruleRows(s.project.id)).toHaveLength(0);
  });

  it("sends a clearly marked test card to the target and shows the outcome, including ThreadNotFound", async () => {
    const { s } = await world();
    const b = await signedInAs(ms, s.admin);
    await createRuleWithForm(b, s, "Alerts");
    const [rule] = await ruleRows(s.project.id);
    const details = await (await b.fetch(rulePage(s, rule.id, "details"))).text();
    expect(details).toContain("Send a test card");
    const before = ms.connector.sent(ALERTS_CHANNEL).length;
    // The POST answers with a redirect to the rule's page, which shows the outcome (a reload sends nothing).
    const ok = await b.post(rulePage(s, rule.id, "test"), { csrf: csrfIn(details) });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe(`${rulePage(s, rule.id, "details")}?test=delivered`);
    expect(await (await b.fetch(ok.headers.get("location")!)).text()).toContain("Delivered: Teams accepted the test card for channel Alerts in Platform.");
    const sent = ms.connector.sent(ALERTS_CHANNEL).slice(before);
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0])).toContain(TEST_CARD_HEADLINE);
    expect(JSON.stringify(sent[0])).toContain("Checkout errors");

    // The bot was removed from the team: the Connector answers 404 ThreadNotFound.
    ms.connector.enqueue({ status: 404, body: { error: { code: "ThreadNotFound", message: "Thread not found" } } }, { method: "POST", path: /activities$/ });
    const failed = await b.post(rulePage(s, rule.id, "test"), { csrf: csrfIn(details) });
    expect(failed.status).toBe(303);
    expect(failed.headers.get("location")).toBe(`${rulePage(s, rule.id, "details")}?test=thread_not_found`);
    const failedPage = await (await b.fetch(failed.headers.get("location")!)).text();
    expect(failedPage).toContain("Not delivered to channel Alerts in Platform. Teams does not know that channel or chat any more (404 ThreadNotFound)");
    expect(failedPage).not.toContain("Thread not found");
    // Reloading the outcome sent nothing more; an edited outcome key shows nothing.
    expect(ms.connector.sent(ALERTS_CHANNEL).slice(before)).toHaveLength(1);
    for (const edited of ["constructor", "__proto__", "<b>x</b>"]) {
      const page = await (await b.fetch(`${rulePage(s, rule.id, "details")}?test=${encodeURIComponent(edited)}&done=${encodeURIComponent(edited)}`)).text();
      expect(page).not.toContain("Not delivered");
      expect(page).not.toContain("&lt;b&gt;x");
    }
    // A test card changes nothing about the rule.
    expect((await ruleRows(s.project.id))[0].status).toBe("active");
  });

  it("edits a rule (keeping or changing its target), disables it with the reason shown, enables it, and deletes only after confirmation", async () => {
    const { s } = await world();
    const b = await signedInAs(ms, s.admin);
    await createRuleWithForm(b, s, "Alerts");
    const [rule] = await ruleRows(s.project.id);
    const edit = await (await b.fetch(rulePage(s, rule.id, "edit"))).text();
    expect(edit).toContain("Keep: channel Alerts in Platform");
    expect(edit).toContain('value="Checkout errors"');
    const saved = await b.post(rulePage(s, rule.id, "edit"), { csrf: csrfIn(edit), name: "Regressions", regression: "on", frequencyMinutes: "30", target: "current" });
    expect(saved.status, await saved.clone().text()).toBe(303);
    expect((await ruleRows(s.project.id))[0]).toMatchObject({ name: "Regressions", conversation_id: ALERTS_CHANNEL, filters: "{}" });
    const moved = await b.post(rulePage(s, rule.id, "edit"), { csrf: csrfIn(edit), name: "Regressions", regression: "on", frequencyMinutes: "30", target: optionValue(edit, "General") });
    expect(moved.status).toBe(303);
    expect((await ruleRows(s.project.id))[0]).toMatchObject({ target_name: "General", conversation_id: TEAM_ID });

    const csrf = csrfIn(edit);
    expect((await b.post(rulePage(s, rule.id, "status"), { csrf, status: "disabled" })).status).toBe(303);
    expect((await ruleRows(s.project.id))[0]).toMatchObject({ status: "disabled", status_reason: `Disabled by ${s.admin.email}` });
    const list = await (await b.fetch(rulesPath(s))).text();
    expect(list).toContain(`Disabled by ${s.admin.email}. Enable it to send again.`);
    expect((await b.post(rulePage(s, rule.id, "status"), { csrf, status: "active" })).status).toBe(303);
    expect((await ruleRows(s.project.id))[0]).toMatchObject({ status: "active", status_reason: null });

    const confirm = await b.fetch(rulePage(s, rule.id, "delete"));
    expect(await confirm.text()).toContain("Delete the alert rule Regressions?");
    const unconfirmed = await b.post(rulePage(s, rule.id, "delete"), { csrf });
    expect(unconfirmed.status).toBe(303);
    expect((await ruleRows(s.project.id))[0].status).toBe("active");
    expect((await b.post(rulePage(s, rule.id, "delete"), { csrf, confirm: "yes" })).status).toBe(303);
    expect((await ruleRows(s.project.id))[0].status).toBe("deleted");
    expect((await b.fetch(rulePage(s, rule.id, "details"))).status).toBe(404);
  });

  it("a rule Teams made us disable says why and how to fix it", async () => {
    const { s, integrationId } = await world();
    const res = await admin(`/projects/${s.project.id}/rules`, { method: "POST", body: { name: "New errors", conditions: { newIssue: true }, action: { integrationId, target: "alerts" } } });
    expect(res.status).toBe(201);
    ms.connector.enqueue({ status: 403, body: { error: { code: "BotNotInConversationRoster" } } }, { method: "POST", path: /activities$/ });
    await ingest(s);
    await settleDeliveries();
    const b = await signedInAs(ms, s.member);
    const list = await (await b.fetch(rulesPath(s))).text();
    expect(list).toContain("Teams refused a card for good (BotNotInConversationRoster), so the rule was turned off.");
    expect(list).toContain("The bot was removed from the team or the channel was deleted: add the app to the team again, or pick another target (Edit). Then Enable it.");
  });

  it("members read rules but cannot change them (403); another organization gets 404; a form without the session's token is refused", async () => {
    const { s } = await world();
    const adminB = await signedInAs(ms, s.admin);
    await createRuleWithForm(adminB, s, "Alerts");
    const [rule] = await ruleRows(s.project.id);

    const member = await signedInAs(ms, s.member);
    const details = await member.fetch(rulePage(s, rule.id, "details"));
    expect(details.status).toBe(200);
    const html = await details.text();
    expect(html).not.toContain("Send a test card");
    expect((await member.fetch(rulesPath(s))).status).toBe(200);
    expect((await member.fetch(newRulePath(s))).status).toBe(403);
    expect((await member.fetch(rulePage(s, rule.id, "edit"))).status).toBe(403);
    expect((await member.fetch(rulePage(s, rule.id, "delete"))).status).toBe(403);
    const csrf = csrfIn(html);
    for (const [page, fields] of [["status", { status: "disabled" }], ["delete", { confirm: "yes" }], ["test", {}], ["edit", { name: "x", newIssue: "on", frequencyMinutes: "30", target: "current" }]] as const) {
      expect((await member.post(rulePage(s, rule.id, page), { csrf, ...fields })).status).toBe(403);
    }
    expect((await member.post(newRulePath(s), { csrf, name: "x", newIssue: "on", frequencyMinutes: "30", target: "current" })).status).toBe(403);

    const other = await seedOrg();
    const stranger = await signedInAs(ms, other.admin);
    const strangerCsrf = csrfIn(await (await stranger.fetch(`/organizations/${other.org.slug}/alerts/rules/`)).text());
    expect((await stranger.fetch(rulesPath(s))).status).toBe(404);
    expect((await stranger.fetch(rulePage(s, rule.id, "details"))).status).toBe(404);
    expect((await stranger.fetch(newRulePath(s))).status).toBe(404);
    expect((await stranger.post(rulePage(s, rule.id, "status"), { csrf: strangerCsrf, status: "disabled" })).status).toBe(404);
    // Its own organization's URL with this organization's rule id: 404 too.
    expect((await stranger.fetch(`/organizations/${other.org.slug}/alerts/rules/${s.project.slug}/${rule.id}/details/`)).status).toBe(404);

    const adminCsrf = csrfIn(await (await adminB.fetch(rulePage(s, rule.id, "details"))).text());
    expect((await adminB.post(rulePage(s, rule.id, "status"), { csrf: "f".repeat(64), status: "disabled" })).status).toBe(403);
    expect((await adminB.post(rulePage(s, rule.id, "status"), { csrf: adminCsrf, status: "disabled" }, "https://evil.test")).status).toBe(403);
    expect((await ruleRows(s.project.id))[0].status).toBe("active");
  });
});

describe("Teams installations", () => {
  it("lists the installation with its status and the doctor's findings; disconnect asks first; reconnect checks with Teams", async () => {
    const { s, integrationId } = await world();
    const path = `/organizations/${s.org.slug}/installations/`;
    const member = await signedInAs(ms, s.member);
    const seen = await (await member.fetch(path)).text();
    expect(seen).toContain("Platform");
    expect(seen).toContain("connected");
    expect(seen).toContain(`Active, connected to organization ${s.org.id}.`);
    expect(seen).toContain("No deliveries yet");
    expect(seen).not.toContain("Disconnect…");
    expect((await member.fetch(`${path}${integrationId}/disconnect/`)).status).toBe(403);
    expect((await member.post(`${path}${integrationId}/disconnect/`, { csrf: csrfIn(seen), confirm: "yes" })).status).toBe(403);

    const other = await seedOrg();
    const stranger = await signedInAs(ms, other.admin);
    expect((await stranger.fetch(path)).status).toBe(404);
    expect((await stranger.fetch(`/organizations/${other.org.slug}/installations/${integrationId}/disconnect/`)).status).toBe(404);

    const b = await signedInAs(ms, s.admin);
    const confirm = await (await b.fetch(`${path}${integrationId}/disconnect/`)).text();
    expect(confirm).toContain("Disconnect Platform?");
    expect((await b.post(`${path}${integrationId}/disconnect/`, { csrf: csrfIn(confirm), confirm: "yes" })).status).toBe(303);
    const status = async () => (await env.DB.prepare("select status, status_reason from integrations where id = ?").bind(integrationId).first<Record<string, string>>())!;
    expect(await status()).toEqual({ status: "disabled", status_reason: `Disconnected on the web by ${s.admin.email}.` });
    const after = await (await b.fetch(path)).text();
    expect(after).toContain(`Disabled: Disconnected on the web by ${s.admin.email}.`);

    // Teams says the bot is not in the team: not reconnected, and the page says so in words.
    ms.connector.enqueue({ status: 403, body: { error: { code: "BotNotInConversationRoster", message: "raw upstream words" } } }, { method: "GET" });
    const refused = await b.post(`${path}${integrationId}/reconnect/`, { csrf: csrfIn(after) });
    expect(refused.status).toBe(502);
    const refusedHtml = await refused.text();
    expect(refusedHtml).toContain("Not reconnected: Teams did not let the bot read the team.");
    expect(refusedHtml).not.toContain("raw upstream words");
    expect((await status()).status).toBe("disabled");
    expect((await b.post(`${path}${integrationId}/reconnect/`, { csrf: csrfIn(after) })).status).toBe(303);
    expect(await status()).toEqual({ status: "active", status_reason: null });
  });
});

describe("deliveries", () => {
  it("lists deliveries with filters, attempts and the last error; an admin retries a dead one and it is delivered", async () => {
    const { s, integrationId } = await world();
    const res = await admin(`/projects/${s.project.id}/rules`, { method: "POST", body: { name: "New errors", conditions: { newIssue: true }, action: { integrationId, target: "alerts" } } });
    const rule = (await res.json()) as { id: number };
    ms.connector.enqueue({ status: 413, body: { error: { code: "MessageSizeTooBig" } } }, { method: "POST", path: /activities$/ });
    const { issueId } = await ingest(s);
    await settleDeliveries();
    const dead = (await env.DB.prepare("select * from deliveries where issue_id = ? and status = 'dead'").bind(issueId).first<Record<string, any>>())!;
    expect(dead.last_error).toContain("MessageSizeTooBig");
    const path = `/organizations/${s.org.slug}/deliveries/`;

    const member = await signedInAs(ms, s.member);
    const list = await (await member.fetch(`${path}?status=dead&issue=${issueId}&rule=${rule.id}&conversation=${encodeURIComponent(ALERTS_CHANNEL)}`)).text();
    expect(list).toContain(`#${dead.id} new card`);
    expect(list).toContain("Last error: MessageSizeTooBig");
    expect(list).toContain("New errors");
    expect(list).not.toContain(">Retry</button>");
    expect(await (await member.fetch(`${path}?status=delivered&issue=${issueId}`)).text()).toContain("No deliveries match these filters.");
    const bad = await member.fetch(`${path}?issue=abc`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("Issue id: ");
    expect((await member.post(`${path}${dead.id}/retry/`, { csrf: csrfIn(list) })).status).toBe(403);

    const other = await seedOrg();
    const stranger = await signedInAs(ms, other.admin);
    expect((await stranger.fetch(path)).status).toBe(404);
    const strangerPage = await (await stranger.fetch(`/organizations/${other.org.slug}/deliveries/`)).text();
    expect(strangerPage).not.toContain(`#${dead.id} `);
    expect((await stranger.post(`/organizations/${other.org.slug}/deliveries/${dead.id}/retry/`, { csrf: csrfIn(strangerPage) })).status).toBe(404);
    expect((await env.DB.prepare("select status from deliveries where id = ?").bind(dead.id).first())!.status).toBe("dead");

    const b = await signedInAs(ms, s.admin);
    const page = await (await b.fetch(`${path}?status=dead`)).text();
    expect(page).toContain(">Retry</button>");
    const before = ms.connector.sent(ALERTS_CHANNEL).length;
    const retried = await b.post(`${path}${dead.id}/retry/`, { csrf: csrfIn(page) });
    expect(retried.status).toBe(303);
    expect(retried.headers.get("location")).toBe(`${path}?retried=${dead.id}`);
    await settleDeliveries();
    expect(await env.DB.prepare("select status, attempts, last_error from deliveries where id = ?").bind(dead.id).first()).toEqual({ status: "delivered", attempts: 1, last_error: null });
    expect(ms.connector.sent(ALERTS_CHANNEL).length).toBe(before + 1);
    const shown = await (await b.fetch(`${path}?retried=${dead.id}`)).text();
    expect(shown).toContain(`Delivery ${dead.id} is queued again`);
    // Only a dead one: retrying a delivered one says so (409) and changes nothing.
    const again = await b.post(`${path}${dead.id}/retry/`, { csrf: csrfIn(page) });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("only a dead delivery can be retried");
  });
});
