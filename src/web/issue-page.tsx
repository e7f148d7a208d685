/** /organizations/<slug>/issues/<id>/: the page a card's title opens. A pure builder over what the route read. */
import { IGNORE_CHOICES, RESOLVE_CHOICES } from "../cards/action-payload";
import type { AssigneeView, IssueRow } from "../db/issues";
import type { EventRow } from "../db/issue-pages";
import type { EventView, FrameView } from "./event-view";
import { plural } from "../cards/format";
import { statusText, utcText } from "./format";
import { SessionForm, WebPage, type Frame } from "./layout";
import type { Viewer } from "../auth/sign-in/session";

export type ActivityItem = {
  id: number;
  type: string;
  actorKind: string;
  source: string;
  data: Record<string, unknown>;
  createdAt: number;
  actorName: string | null;
  actorEmail: string | null;
};

export type IssuePageView = {
  frame: Frame & { viewer: Viewer };
  org: { slug: string; name: string };
  project: { slug: string; name: string };
  issue: IssueRow;
  assignee: AssigneeView;
  members: { id: number; label: string }[];
  teams: { id: number; slug: string }[];
  event: { row: EventRow; view: EventView } | null;
  olderId: string | null;
  newerId: string | null;
  tags: { key: string; values: { value: string; n: number }[]; total: number }[];
  releases: { name: string; n: number; lastSeen: number }[];
  environments: { name: string; n: number; lastSeen: number }[];
  activity: ActivityItem[];
  posted: { id: number; conversationId: string; postedAt: number; personal: boolean; ruleName: string | null; targetName: string | null; integrationName: string }[];
  notice?: { kind: "ok" | "error"; text: string };
};

const SOURCE_TEXT: Record<string, string> = { teams: "from Teams", web: "on the web", api: "through the API", ingest: "by ingest", system: "automatically" };

function activityText(a: ActivityItem): string {
  const d = a.data;
  switch (a.type) {
    case "set_resolved":
      return "resolved the issue";
    case "set_resolved_in_release":
      return `resolved the issue in ${String(d.release ?? "a release")}`;
    case "set_resolved_in_next_release":
      return "resolved the issue in the next release";
    case "set_unresolved":
      return "unresolved the issue";
    case "set_ignored":
      return "ignored the issue";
    case "set_regression":
      return "marked it as a regression";
    case "set_escalating":
      return "marked it as escalating";
    case "assigned":
      return "assigned the issue";
    case "unassigned":
      return "unassigned the issue";
    case "first_seen":
      return "first saw the issue";
    default:
      return a.type.replace(/_/g, " ");
  }
}

function actorText(a: ActivityItem): string {
  if (a.actorKind === "user") return a.actorName || a.actorEmail || "A member";
  if (a.actorKind === "api") return "An API client";
  return "The system";
}

function FrameItem(props: { f: FrameView }) {
  const f = props.f;
  return (
    <li class={f.inApp ? "app" : "lib"}>
      {f.inApp ? <span class="badge">in app</span> : null} <strong>{f.function}</strong> in {f.where}
      {f.contextLine !== undefined ? (
        <pre>
          {[...f.preContext.map((l) => `  ${l}`), `> ${f.contextLine}`, ...f.postContext.map((l) => `  ${l}`)].join("\n")}
        </pre>
      ) : null}
      {f.vars.length ? (
        <table aria-label="Variables">
          {f.vars.map(([k, v]) => (
            <tr>
              <th scope="row">{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </table>
      ) : null}
    </li>
  );
}

function EventSection(props: { v: IssuePageView; base: string }) {
  const { v, base } = props;
  if (!v.event) return <p>No event is stored for this issue.</p>;
  const { row, view } = v.event;
  const issueHref = `${base}/issues/${v.issue.id}/`;
  return (
    <section aria-labelledby="event-h">
      <h2 id="event-h">{v.newerId ? "Event" : "Latest event"}</h2>
      {v.olderId || v.newerId ? (
        <nav class="pages" aria-label="Events">
          {v.olderId ? <a href={`${issueHref}?event=${encodeURIComponent(v.olderId)}`}>← Older event</a> : <span class="hint">Oldest event</span>}
          {v.newerId ? <a href={`${issueHref}?event=${encodeURIComponent(v.newerId)}`}>Newer event →</a> : <span class="hint">Latest event</span>}
        </nav>
      ) : (
        <p class="hint">The only event stored for this issue.</p>
      )}
      <dl class="meta">
        <dt>Event id</dt>
        <dd>{row.id}</dd>
        <dt>When</dt>
        <dd>{utcText(row.timestamp)}</dd>
        <dt>Release</dt>
        <dd>{row.release ?? "—"}</dd>
        <dt>Environment</dt>
        <dd>{row.environment ?? "—"}</dd>
        <dt>Level</dt>
        <dd>{row.level}</dd>
      </dl>
      {view.message ? <pre>{view.message}</pre> : null}
      {view.truncated ? <p class="hint">This event was too large and is stored shortened.</p> : null}
      {[...view.exceptions].reverse().map((e, i) => (
        <div class="card">
          <h3>
            {i > 0 ? "Caused by / during: " : ""}
            {e.type}
          </h3>
          {e.value ? <pre>{e.value}</pre> : null}
          {e.frames.length ? (
            <>
              <p class="hint">
                Stack trace, most recent call first; {e.frames.filter((f) => f.inApp).length} of {e.frames.length} frames are your app's.
              </p>
              <ol class="frames">
                {[...e.frames].reverse().map((f) => (
                  <FrameItem f={f} />
                ))}
              </ol>
            </>
          ) : null}
        </div>
      ))}
      {view.breadcrumbs.length ? (
        <>
          <h3>Breadcrumbs</h3>
          <table>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Category</th>
              <th scope="col">Message</th>
            </tr>
            {view.breadcrumbs.map((b) => (
              <tr>
                <td>{b.time}</td>
                <td>
                  {b.category} {b.level ? `(${b.level})` : ""}
                </td>
                <td>{b.message}</td>
              </tr>
            ))}
          </table>
        </>
      ) : null}
      {view.request ? (
        <>
          <h3>Request</h3>
          <p>
            {view.request.method} {view.request.url}
          </p>
          <KeyValues rows={view.request.headers} label="Request headers" />
        </>
      ) : null}
      {view.user.length ? (
        <>
          <h3>User</h3>
          <KeyValues rows={view.user} label="User" />
        </>
      ) : null}
      {Object.keys(row.tags).length ? (
        <>
          <h3>Tags of this event</h3>
          <KeyValues rows={Object.entries(row.tags)} label="Tags of this event" />
        </>
      ) : null}
      {view.contexts.length ? (
        <>
          <h3>Contexts</h3>
          <KeyValues rows={view.contexts} label="Contexts" />
        </>
      ) : null}
    </section>
  );
}

function KeyValues(props: { rows: [string, string][]; label: string }) {
  return (
    <table aria-label={props.label}>
      {props.rows.map(([k, val]) => (
        <tr>
          <th scope="row">{k}</th>
          <td>{val}</td>
        </tr>
      ))}
    </table>
  );
}

function Actions(props: { v: IssuePageView; action: string }) {
  const { v, action } = props;
  const viewer = v.frame.viewer;
  const g = v.issue;
  return (
    <section class="actions" aria-label="Actions">
      {g.status === "resolved" || g.status === "ignored" ? (
        <SessionForm viewer={viewer} action={action} label="Unresolve">
          <input type="hidden" name="action" value="unresolve" />
          <p>This issue is {g.status}.</p>
          <button type="submit">Unresolve</button>
        </SessionForm>
      ) : null}
      {g.status !== "resolved" ? (
        <SessionForm viewer={viewer} action={action} label="Resolve">
          <input type="hidden" name="action" value="resolve" />
          <label for="resolve">Resolve when</label>
          <select id="resolve" name="resolve">
            {RESOLVE_CHOICES.map((c) => (
              <option value={c.value}>{c.title}</option>
            ))}
          </select>
          <button type="submit">Resolve</button>
        </SessionForm>
      ) : null}
      {g.status !== "ignored" ? (
        <SessionForm viewer={viewer} action={action} label="Ignore">
          <input type="hidden" name="action" value="ignore" />
          <label for="ignore">Ignore for how long</label>
          <select id="ignore" name="ignore">
            {IGNORE_CHOICES.map((c) => (
              <option value={c.value}>{c.title}</option>
            ))}
          </select>
          <button type="submit">Ignore</button>
        </SessionForm>
      ) : null}
      <SessionForm viewer={viewer} action={action} label="Assign">
        <input type="hidden" name="action" value="assign" />
        <label for="assignee">Assign to</label>
        <select id="assignee" name="assignee">
          <option value="me">Me</option>
          {v.teams.map((t) => (
            <option value={`team:${t.id}`}>#{t.slug}</option>
          ))}
          {v.members.map((m) => (
            <option value={`user:${m.id}`}>{m.label}</option>
          ))}
        </select>
        <button type="submit">Assign</button>
      </SessionForm>
      {v.assignee ? (
        <SessionForm viewer={viewer} action={action} label="Unassign">
          <input type="hidden" name="action" value="unassign" />
          <p>Assigned to {v.assignee.kind === "user" ? v.assignee.name || v.assignee.email : `#${v.assignee.slug}`}.</p>
          <button type="submit" class="secondary">
            Unassign
          </button>
        </SessionForm>
      ) : null}
    </section>
  );
}

export function IssuePage(v: IssuePageView) {
  const g = v.issue;
  const base = `/organizations/${encodeURIComponent(v.org.slug)}`;
  const action = `${base}/issues/${g.id}/actions`;
  return (
    <WebPage title={`${g.shortId} ${g.title}`} frame={v.frame}>
      <p class="hint">
        <a href={`${base}/issues/`}>Issues</a> · {v.project.name} · {g.shortId}
      </p>
      <h1>{g.title}</h1>
      {g.culprit ? <p class="sub">{g.culprit}</p> : null}
      <p>
        <span class={`badge ${g.status}`}>{statusText(g.status, g.substatus, g.resolution)}</span> <span class="badge">{g.level}</span>
      </p>
      {v.notice ? (
        <p class={v.notice.kind} role={v.notice.kind === "error" ? "alert" : "status"}>
          {v.notice.text}
        </p>
      ) : null}
      <Actions v={v} action={action} />
      <div class="layout">
        <div>
          <EventSection v={v} base={base} />
          <section aria-labelledby="activity-h">
            <h2 id="activity-h">Activity</h2>
            {v.activity.length ? (
              <ul>
                {v.activity.map((a) => (
                  <li>
                    {utcText(a.createdAt)}: {actorText(a)} {activityText(a)} {SOURCE_TEXT[a.source] ?? ""}
                  </li>
                ))}
              </ul>
            ) : (
              <p>Nothing yet.</p>
            )}
          </section>
        </div>
        <aside>
          <h2>Details</h2>
          <dl class="meta">
            <dt>Project</dt>
            <dd>{v.project.name}</dd>
            <dt>Events</dt>
            <dd>{g.timesSeen}</dd>
            <dt>Users</dt>
            <dd>{g.usersSeen}</dd>
            <dt>First seen</dt>
            <dd>{utcText(g.firstSeen)}</dd>
            <dt>Last seen</dt>
            <dd>{utcText(g.lastSeen)}</dd>
            <dt>First release</dt>
            <dd>{g.firstRelease ?? "—"}</dd>
            <dt>Last release</dt>
            <dd>{g.lastRelease ?? "—"}</dd>
            <dt>Assignee</dt>
            <dd>{v.assignee ? (v.assignee.kind === "user" ? v.assignee.email : `#${v.assignee.slug}`) : "Unassigned"}</dd>
          </dl>
          <h2>Releases seen</h2>
          {v.releases.length ? <SeenTable rows={v.releases} label="Releases seen" /> : <p>None.</p>}
          <h2>Environments seen</h2>
          {v.environments.length ? <SeenTable rows={v.environments} label="Environments seen" /> : <p>None.</p>}
          <h2>Tags</h2>
          <div class="tags">
            {v.tags.length
              ? v.tags.map((t) => (
                  <div>
                    <h3>{t.key}</h3>
                    <ul>
                      {t.values.map((x) => (
                        <li>
                          {x.value} — {Math.round((100 * x.n) / t.total)}%
                        </li>
                      ))}
                    </ul>
                  </div>
                ))
              : "None."}
          </div>
          <h2>Cards in Teams</h2>
          {v.posted.length ? (
            <ul>
              {v.posted.map((p) => (
                <li>
                  {p.personal ? "Personal card" : `${p.ruleName ?? "Rule"} → ${p.targetName ?? p.conversationId}`} in {p.integrationName || "Teams"}, posted {utcText(p.postedAt)}
                </li>
              ))}
            </ul>
          ) : (
            <p>No card posted yet.</p>
          )}
        </aside>
      </div>
    </WebPage>
  );
}

function SeenTable(props: { rows: { name: string; n: number; lastSeen: number }[]; label: string }) {
  return (
    <table aria-label={props.label}>
      {props.rows.map((r) => (
        <tr>
          <td>{r.name}</td>
          <td>{plural(r.n, "event", "events")}</td>
          <td>{utcText(r.lastSeen)}</td>
        </tr>
      ))}
    </table>
  );
}
