/**
 * The Deliveries page: the organization's delivery log (every card post, update, reply and personal notification), with
 * filters, attempts and the last error, and Retry for a dead one (admins).
 */
import type { Viewer } from "../auth/sign-in/session";
import type { DeliveryRow } from "../db/alert-rules";
import { utcText } from "./format";
import { SessionForm, WebPage, type Frame } from "./layout";

export type DeliveryFilterFields = { status: string; issue: string; rule: string; conversation: string };

export type ListedDelivery = {
  delivery: DeliveryRow;
  integrationName: string;
  shortId: string | null;
  issueTitle: string | null;
  ruleName: string | null;
  ruleTargetName: string | null;
  projectSlug: string | null;
};

export const DELIVERY_STATUSES = ["queued", "retrying", "delivered", "dead"] as const;

const KIND_TEXT: Record<string, string> = { post: "new card", update: "card update", reply: "thread reply", personal: "personal notification" };

export function deliveriesBase(orgSlug: string): string {
  return `/organizations/${encodeURIComponent(orgSlug)}/deliveries/`;
}

export function DeliveriesPage(v: {
  frame: Frame & { viewer: Viewer };
  org: { slug: string };
  filters: DeliveryFilterFields;
  filterError: string | null;
  deliveries: ListedDelivery[];
  nextCursor: number | null;
  canManage: boolean;
  notice?: { kind: "ok" | "error"; text: string };
}) {
  const base = deliveriesBase(v.org.slug);
  const orgBase = `/organizations/${encodeURIComponent(v.org.slug)}`;
  const f = v.filters;
  const next = new URLSearchParams(Object.entries(f).filter(([, value]) => value));
  if (v.nextCursor) next.set("cursor", String(v.nextCursor));
  return (
    <WebPage title="Deliveries" frame={v.frame}>
      <h1>Deliveries</h1>
      {v.notice ? (
        <p class={v.notice.kind} role={v.notice.kind === "error" ? "alert" : "status"}>
          {v.notice.text}
        </p>
      ) : null}
      <p class="hint">Every card sent to Teams for this organization, newest first. A dead delivery gave up after its attempts; Retry sends it again.</p>
      <form method="get" action={base} class="filters" aria-label="Filter deliveries">
        <div>
          <label for="status">Status</label>
          <select id="status" name="status">
            <option value="" selected={!f.status}>
              any
            </option>
            {DELIVERY_STATUSES.map((s) => (
              <option value={s} selected={f.status === s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="issue">Issue id</label>
          <input id="issue" name="issue" inputmode="numeric" value={f.issue} />
        </div>
        <div>
          <label for="rule">Rule id</label>
          <input id="rule" name="rule" inputmode="numeric" value={f.rule} />
        </div>
        <div>
          <label for="conversation">Conversation id</label>
          <input id="conversation" name="conversation" value={f.conversation} />
        </div>
        <div>
          <button type="submit">Filter</button>
        </div>
      </form>
      {v.filterError ? (
        <p class="error" role="alert">
          {v.filterError}
        </p>
      ) : null}
      {v.deliveries.length === 0 ? <p>No deliveries{Object.values(f).some(Boolean) ? " match these filters" : " yet"}.</p> : null}
      <ul class="issues">
        {v.deliveries.map((d) => {
          const row = d.delivery;
          return (
            <li>
              <div class="title">
                #{row.id} {KIND_TEXT[row.kind] ?? row.kind} <span class={`badge ${row.status === "delivered" ? "resolved" : row.status === "dead" ? "unresolved" : ""}`}>{row.status}</span>
              </div>
              <div class="sub">
                {row.issueId ? (
                  <>
                    Issue <a href={`${orgBase}/issues/${row.issueId}/`}>{d.shortId ?? `#${row.issueId}`}</a> {d.issueTitle ?? ""}
                  </>
                ) : (
                  "No issue"
                )}
                {row.ruleId && d.ruleName && d.projectSlug ? (
                  <>
                    {" "}
                    · rule <a href={`${orgBase}/alerts/rules/${encodeURIComponent(d.projectSlug)}/${row.ruleId}/details/`}>{d.ruleName}</a>
                  </>
                ) : null}
              </div>
              <div class="sub">
                To {d.ruleTargetName && row.kind !== "personal" ? d.ruleTargetName : "a personal chat"} in {d.integrationName || "Teams"}
                {row.conversationId ? <> (<a href={`${base}?conversation=${encodeURIComponent(row.conversationId)}`}>conversation</a>)</> : null} · {row.attempts}{" "}
                {row.attempts === 1 ? "attempt" : "attempts"} · last change {utcText(row.updatedAt)}
              </div>
              {row.lastError ? <div class="sub error">Last error: {row.lastError}</div> : null}
              {v.canManage && row.status === "dead" ? (
                <SessionForm viewer={v.frame.viewer} action={`${base}${row.id}/retry/`} label={`Retry delivery ${row.id}`}>
                  <button type="submit">Retry</button>
                </SessionForm>
              ) : null}
            </li>
          );
        })}
      </ul>
      {v.nextCursor ? (
        <nav class="pages">
          <a href={`${base}?${next.toString()}`}>Older deliveries</a>
        </nav>
      ) : null}
    </WebPage>
  );
}
