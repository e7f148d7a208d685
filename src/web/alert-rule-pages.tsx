/**
 * The alert rule pages: the list per project (with each rule's status, and why a disabled rule is disabled), the
 * create / edit form (every condition and filter of the rule API; the target picked from the team's live channels and
 * people), and the delete confirmation. Admins manage; members read.
 */
import type { AlertRuleRow } from "../db/alert-rules";
import { describeRule } from "../cards/subscription-cards";
import { choiceValue } from "../alerts/target-choices";
import { Notice, SessionForm, WebPage, type Frame } from "./layout";
import { KEEP_TARGET, LEVELS, type RuleFormErrors, type RuleFormField, type RuleFormFields } from "./rule-form";
import type { Viewer } from "../auth/sign-in/session";

export type ListedRule = { rule: AlertRuleRow; projectSlug: string; projectName: string; integrationName: string; integrationStatus: string };

export function rulesBase(orgSlug: string): string {
  return `/organizations/${encodeURIComponent(orgSlug)}/alerts/rules/`;
}

export function rulePath(orgSlug: string, projectSlug: string, ruleId: number, page: "details" | "edit" | "delete" | "test" | "status"): string {
  return `${rulesBase(orgSlug)}${encodeURIComponent(projectSlug)}/${ruleId}/${page}/`;
}

/** What fixes a target Teams refused for good, by the error code recorded when the rule was turned off. */
function fixForRefusal(code: string): string {
  switch (code) {
    case "BotNotInConversationRoster":
    case "ConversationNotFound":
    case "ThreadNotFound":
      return "The bot was removed from the team or the channel was deleted: add the app to the team again, or pick another target (Edit).";
    case "ConversationBlockedByUser":
      return "That person blocked the bot in their chat with it: they can unblock it in Teams, or pick a channel instead (Edit).";
    case "BotDisabledByAdmin":
      return "A Teams administrator blocked the app: ask them to allow it in the Teams admin center (Manage apps).";
    default:
      return "Check the target (Edit) and the Teams installation (Teams installations).";
  }
}

/** Why a rule does not send, and what fixes it (a disabled rule's reason is what Teams or an admin recorded). */
export function disabledAdvice(rule: AlertRuleRow, integrationStatus: string): string | null {
  if (rule.status === "disabled") {
    const refused = /^Teams refused delivery: (.+)$/.exec(rule.statusReason ?? "");
    if (refused) return `Teams refused a card for good (${refused[1]}), so the rule was turned off. ${fixForRefusal(refused[1])} Then Enable it.`;
    return `${rule.statusReason || "Turned off by an admin"}. Enable it to send again.`;
  }
  if (integrationStatus !== "active") {
    return "Its Teams installation is not connected (the app was removed from the team, or setup is not finished): see Teams installations.";
  }
  return null;
}

function StatusBadge(props: { rule: AlertRuleRow; integrationStatus: string }) {
  const sending = props.rule.status === "active" && props.integrationStatus === "active";
  return <span class={`badge ${sending ? "resolved" : "unresolved"}`}>{sending ? "active" : props.rule.status === "active" ? "not sending" : props.rule.status}</span>;
}

export function RuleListPage(v: { frame: Frame; org: { slug: string; name: string }; projects: { slug: string; name: string }[]; rules: ListedRule[]; canManage: boolean; notice?: string }) {
  const base = rulesBase(v.org.slug);
  return (
    <WebPage title="Alert rules" frame={v.frame}>
      <h1>Alert rules</h1>
      <Notice notice={v.notice} />
      <p class="hint">A rule posts a card to a Teams channel or person when an issue of its project matches.</p>
      {v.projects.length === 0 ? <p>This organization has no projects yet.</p> : null}
      {v.projects.map((p) => {
        const rules = v.rules.filter((r) => r.projectSlug === p.slug);
        return (
          <section>
            <h2>{p.name}</h2>
            {rules.length ? (
              <ul class="issues">
                {rules.map((r) => {
                  const advice = disabledAdvice(r.rule, r.integrationStatus);
                  return (
                    <li>
                      <div class="title">
                        <a href={rulePath(v.org.slug, p.slug, r.rule.id, "details")}>{r.rule.name}</a> <StatusBadge rule={r.rule} integrationStatus={r.integrationStatus} />
                      </div>
                      <div class="sub">
                        {describeRule(r.rule)} → {r.rule.targetType === "channel" ? `channel ${r.rule.targetName}` : r.rule.targetName} in {r.integrationName || "Teams"}
                      </div>
                      {advice ? <div class="sub error">{advice}</div> : null}
                    </li>
                  );
                })}
              </ul>
            ) : (
              <p class="hint">No rules: nothing of this project is posted to Teams.</p>
            )}
            {v.canManage ? (
              <a class="button" href={`${base}new/?project=${encodeURIComponent(p.slug)}`}>
                New rule for {p.name}
              </a>
            ) : null}
          </section>
        );
      })}
      {!v.canManage ? <p class="hint">Only admins of this organization can create or change rules.</p> : null}
    </WebPage>
  );
}

/** One installation's group of the picker: its channels and people, or why Teams could not list them. */
export type PickerGroup = {
  integrationId: number;
  integrationName: string;
  channels: { conversationId: string; name: string }[];
  people: { memberId: string; name: string }[];
  problem: string | null;
};

export type RuleFormView = {
  frame: Frame & { viewer: Viewer };
  org: { slug: string };
  project: { slug: string; name: string };
  /** null: a new rule. */
  rule: AlertRuleRow | null;
  currentTargetText: string | null;
  fields: RuleFormFields;
  errors: RuleFormErrors;
  picker: PickerGroup[];
};

function FieldError(props: { errors: RuleFormErrors; field: RuleFormField }) {
  const message = props.errors[props.field];
  return message ? (
    <p class="error" id={`${props.field}-error`}>
      {message}
    </p>
  ) : null;
}

const described = (errors: RuleFormErrors, field: RuleFormField) => (errors[field] ? `${field}-error` : undefined);

export function RuleFormPage(v: RuleFormView) {
  const f = v.fields;
  const e = v.errors;
  const editing = v.rule !== null;
  const action = editing ? rulePath(v.org.slug, v.project.slug, v.rule!.id, "edit") : `${rulesBase(v.org.slug)}new/?project=${encodeURIComponent(v.project.slug)}`;
  const anyChoice = v.picker.some((g) => g.channels.length || g.people.length);
  return (
    <WebPage title={editing ? `Edit ${v.rule!.name}` : "New alert rule"} frame={v.frame}>
      <p class="hint">
        <a href={rulesBase(v.org.slug)}>Alert rules</a> · {v.project.name}
      </p>
      <h1>{editing ? `Edit alert rule: ${v.rule!.name}` : `New alert rule for ${v.project.name}`}</h1>
      {Object.keys(e).length ? (
        <p class="error" role="alert">
          The rule was not saved: correct the fields marked below.
        </p>
      ) : null}
      <SessionForm viewer={v.frame.viewer} action={action} label="Alert rule">
        <div class="card">
          <label for="name">Name</label>
          <input id="name" name="name" value={f.name} maxlength={200} required aria-describedby={described(e, "name")} />
          <FieldError errors={e} field="name" />
        </div>
        <fieldset class="card" aria-describedby={described(e, "conditions")}>
          <legend>When (any of these)</legend>
          <label class="check">
            <input type="checkbox" name="newIssue" checked={f.newIssue} /> A new issue is created
          </label>
          <label class="check">
            <input type="checkbox" name="regression" checked={f.regression} /> A resolved issue happens again (regression)
          </label>
          <label class="check">
            <input type="checkbox" name="escalation" checked={f.escalation} /> An issue escalates (many more events than usual)
          </label>
          <FieldError errors={e} field="conditions" />
          <p class="hint">Or an issue happens more than a number of times within a window (leave both empty for no such condition):</p>
          <div class="pair">
            <div>
              <label for="frequencyCount">More than (events)</label>
              <input id="frequencyCount" name="frequencyCount" inputmode="numeric" value={f.frequencyCount} aria-describedby={described(e, "frequencyCount")} />
              <FieldError errors={e} field="frequencyCount" />
            </div>
            <div>
              <label for="frequencyWindowMinutes">Within (minutes)</label>
              <input id="frequencyWindowMinutes" name="frequencyWindowMinutes" inputmode="numeric" value={f.frequencyWindowMinutes} aria-describedby={described(e, "frequencyWindowMinutes")} />
              <FieldError errors={e} field="frequencyWindowMinutes" />
            </div>
          </div>
        </fieldset>
        <fieldset class="card">
          <legend>If (all of these)</legend>
          <label for="levelAtLeast">Level at least</label>
          <select id="levelAtLeast" name="levelAtLeast" aria-describedby={described(e, "levelAtLeast")}>
            <option value="" selected={!f.levelAtLeast}>
              any level
            </option>
            {LEVELS.map((l) => (
              <option value={l} selected={f.levelAtLeast === l}>
                {l}
              </option>
            ))}
          </select>
          <FieldError errors={e} field="levelAtLeast" />
          <label for="environment">Environment</label>
          <input id="environment" name="environment" value={f.environment} placeholder="any environment" aria-describedby={described(e, "environment")} />
          <FieldError errors={e} field="environment" />
          <label for="tags">Tags (one a line, key=value)</label>
          <textarea id="tags" name="tags" rows={3} aria-describedby={described(e, "tags")}>
            {f.tags}
          </textarea>
          <FieldError errors={e} field="tags" />
        </fieldset>
        <div class="card">
          <label for="target">Post to</label>
          <select id="target" name="target" aria-describedby={described(e, "target")}>
            {editing ? (
              <option value={KEEP_TARGET} selected={f.target === KEEP_TARGET}>
                Keep: {v.currentTargetText}
              </option>
            ) : (
              <option value="" selected={!f.target}>
                Choose a channel or person
              </option>
            )}
            {v.picker.map((g) => (
              <>
                {g.channels.length ? (
                  <optgroup label={`${g.integrationName || "Team"}: channels`}>
                    {g.channels.map((ch) => {
                      const value = choiceValue(g.integrationId, "channel", ch.conversationId);
                      return (
                        <option value={value} selected={f.target === value}>
                          {ch.name}
                        </option>
                      );
                    })}
                  </optgroup>
                ) : null}
                {g.people.length ? (
                  <optgroup label={`${g.integrationName || "Team"}: people (a personal chat)`}>
                    {g.people.map((p) => {
                      const value = choiceValue(g.integrationId, "user", p.memberId);
                      return (
                        <option value={value} selected={f.target === value}>
                          {p.name}
                        </option>
                      );
                    })}
                  </optgroup>
                ) : null}
              </>
            ))}
          </select>
          <FieldError errors={e} field="target" />
          {v.picker.map((g) =>
            g.problem ? (
              <p class="error" role="alert">
                {g.integrationName || "A team"}: its channels and people could not be listed. {g.problem}
              </p>
            ) : null,
          )}
          {v.picker.length === 0 ? (
            <p class="error">No Teams team is connected to this organization: add the app to a team in Teams and complete its setup first.</p>
          ) : !anyChoice && !editing ? (
            <p class="hint">Nothing to choose from right now; reload the page in a minute.</p>
          ) : null}
          <p class="hint">The lists come from Teams and are at most a minute old.</p>
        </div>
        <div class="card">
          <label for="frequencyMinutes">At most one card per issue every (minutes)</label>
          <input id="frequencyMinutes" name="frequencyMinutes" inputmode="numeric" value={f.frequencyMinutes} aria-describedby={described(e, "frequencyMinutes")} />
          <FieldError errors={e} field="frequencyMinutes" />
        </div>
        <button type="submit">{editing ? "Save the rule" : "Create the rule"}</button>
      </SessionForm>
    </WebPage>
  );
}

export function DeleteRulePage(v: { frame: Frame & { viewer: Viewer }; org: { slug: string }; projectSlug: string; rule: AlertRuleRow }) {
  return (
    <WebPage title={`Delete ${v.rule.name}`} frame={v.frame}>
      <h1>Delete the alert rule {v.rule.name}?</h1>
      <p>It stops posting at once. Cards it already posted stay in Teams and keep their buttons; its history is kept.</p>
      <SessionForm viewer={v.frame.viewer} action={rulePath(v.org.slug, v.projectSlug, v.rule.id, "delete")} label="Confirm delete">
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit" class="danger">
          Delete the rule
        </button>{" "}
        <a href={rulePath(v.org.slug, v.projectSlug, v.rule.id, "details")}>Cancel</a>
      </SessionForm>
    </WebPage>
  );
}
