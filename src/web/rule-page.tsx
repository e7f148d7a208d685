/**
 * /organizations/<slug>/alerts/rules/<project>/<id>/details/: what a card's "via <rule>" footer opens. Members read it;
 * admins also get Edit, Send a test card, Disable / Enable and Delete.
 */
import type { AlertRuleRow } from "../db/alert-rules";
import { formatMinutes } from "../cards/format";
import { disabledAdvice, rulePath, rulesBase } from "./alert-rule-pages";
import { utcText } from "./format";
import { Notice, SessionForm, WebPage, type Frame } from "./layout";

export type RulePageView = {
  frame: Frame;
  org: { slug: string; name: string };
  project: { slug: string; name: string };
  rule: AlertRuleRow;
  integrationName: string;
  integrationStatus: string;
  canManage: boolean;
  /** The outcome of the last action on this page (a test card, a status change). */
  notice?: { kind: "ok" | "error"; text: string };
  fires: { issueId: number; shortId: string; title: string; lastFiredAt: number }[];
  deliveries: { id: number; kind: string; status: string; attempts: number; lastError: string | null; updatedAt: number; issueId: number | null }[];
};

function conditionsText(r: AlertRuleRow): string[] {
  const c = r.conditions;
  const out: string[] = [];
  if (c.newIssue) out.push("A new issue is created");
  if (c.regression) out.push("A resolved issue happens again (regression)");
  if (c.escalation) out.push("An issue escalates");
  if (c.frequency) out.push(`An issue happens more than ${c.frequency.count} times in ${formatMinutes(c.frequency.windowMinutes)}`);
  return out.length ? out : ["(no condition)"];
}

function filtersText(r: AlertRuleRow): string[] {
  const f = r.filters;
  const out: string[] = [];
  if (f.levelAtLeast) out.push(`Level is at least ${f.levelAtLeast}`);
  if (f.environment) out.push(`Environment is ${f.environment}`);
  for (const [k, v] of Object.entries(f.tags ?? {})) out.push(`Tag ${k} is ${v}`);
  return out.length ? out : ["Every issue of the project"];
}

export function RulePage(v: RulePageView) {
  const base = `/organizations/${encodeURIComponent(v.org.slug)}`;
  const r = v.rule;
  const advice = disabledAdvice(r, v.integrationStatus);
  const viewer = v.frame.viewer;
  return (
    <WebPage title={`Alert rule ${r.name}`} frame={v.frame}>
      <p class="hint">
        <a href={rulesBase(v.org.slug)}>Alert rules</a> · <a href={`${base}/issues/?project=${encodeURIComponent(v.project.slug)}`}>Issues of {v.project.name}</a>
      </p>
      <h1>Alert rule: {r.name}</h1>
      <Notice notice={v.notice} />
      <p>
        <span class="badge">{r.status}</span> {advice ? <span class="error">{advice}</span> : null}
      </p>
      <dl class="meta">
        <dt>Project</dt>
        <dd>{v.project.name}</dd>
        <dt>Posts to</dt>
        <dd>
          {r.targetType === "channel" ? "Channel" : "Person"} {r.targetName} in {v.integrationName || "Teams"}
        </dd>
        <dt>At most</dt>
        <dd>one card per issue every {formatMinutes(r.frequencyMinutes)}</dd>
      </dl>
      <h2>When</h2>
      <ul>
        {conditionsText(r).map((t) => (
          <li>{t}</li>
        ))}
      </ul>
      <h2>If</h2>
      <ul>
        {filtersText(r).map((t) => (
          <li>{t}</li>
        ))}
      </ul>
      {v.canManage && viewer ? (
        <div class="actions">
          <SessionForm viewer={viewer} action={rulePath(v.org.slug, v.project.slug, r.id, "test")} label="Send a test card">
            <button type="submit">Send a test card</button>
            <p class="hint">Posts a clearly marked sample card to the rule’s target now.</p>
          </SessionForm>
          <SessionForm viewer={viewer} action={rulePath(v.org.slug, v.project.slug, r.id, "status")} label={r.status === "active" ? "Disable" : "Enable"}>
            <input type="hidden" name="status" value={r.status === "active" ? "disabled" : "active"} />
            <button type="submit" class="secondary">
              {r.status === "active" ? "Disable" : "Enable"}
            </button>
            <p class="hint">{r.status === "active" ? "Stops posting until enabled again." : "Posts again from the next matching issue."}</p>
          </SessionForm>
          <div class="links">
            <a class="button secondary" href={rulePath(v.org.slug, v.project.slug, r.id, "edit")}>
              Edit
            </a>{" "}
            <a class="button secondary" href={rulePath(v.org.slug, v.project.slug, r.id, "delete")}>
              Delete…
            </a>
          </div>
        </div>
      ) : (
        <p class="hint">Only admins of this organization can change this rule.</p>
      )}
      <h2>Recent fires</h2>
      {v.fires.length ? (
        <ul>
          {v.fires.map((f) => (
            <li>
              {utcText(f.lastFiredAt)}: <a href={`${base}/issues/${f.issueId}/`}>{f.shortId}</a> {f.title}
            </li>
          ))}
        </ul>
      ) : (
        <p>Not fired yet.</p>
      )}
      <h2>Recent deliveries</h2>
      {v.deliveries.length ? (
        <table>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">Status</th>
          </tr>
          {v.deliveries.map((d) => (
            <tr>
              <td>{utcText(d.updatedAt)}</td>
              <td>
                {d.kind} {d.issueId ? <a href={`${base}/issues/${d.issueId}/`}>issue</a> : null}
              </td>
              <td>
                {d.status}
                {d.attempts > 1 ? ` after ${d.attempts} attempts` : ""}
                {d.lastError ? ` (${d.lastError})` : ""}
              </td>
            </tr>
          ))}
        </table>
      ) : (
        <p>None yet.</p>
      )}
    </WebPage>
  );
}
