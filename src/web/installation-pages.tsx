/**
 * The Teams installations page: each team or personal installation connected to the organization, its status and
 * why, the organization, the last activity, the doctor's findings for it in words, and reconnect / disconnect (admins).
 */
import type { Viewer } from "../auth/sign-in/session";
import type { IntegrationRow } from "../db/integrations";
import type { DoctorCheck } from "../routes/admin/doctor";
import { utcText } from "./format";
import { Notice, SessionForm, WebPage, type Frame } from "./layout";

export type InstallationView = { integration: IntegrationRow; lastActivityAt: number; checks: DoctorCheck[] };

export function installationsBase(orgSlug: string): string {
  return `/organizations/${encodeURIComponent(orgSlug)}/installations/`;
}

function displayName(i: IntegrationRow): string {
  return i.installationType === "team" ? i.name || "A team" : "Personal app";
}

export function InstallationsPage(v: {
  frame: Frame & { viewer: Viewer };
  org: { slug: string; name: string };
  installations: InstallationView[];
  canManage: boolean;
  notice?: { kind: "ok" | "error"; text: string };
}) {
  return (
    <WebPage title="Teams installations" frame={v.frame}>
      <h1>Teams installations</h1>
      <Notice notice={v.notice} />
      <p class="hint">The Teams teams (and personal apps) connected to {v.org.name}. Alert rules post through them.</p>
      {v.installations.length === 0 ? (
        <p>
          None yet. Add the app to a team in Teams; its welcome card has <strong>Complete setup</strong>, which connects the team to this organization.
        </p>
      ) : null}
      {v.installations.map(({ integration: i, lastActivityAt, checks }) => (
        <section class="card install">
          <h2>
            {displayName(i)} <span class={`badge ${i.status === "active" ? "resolved" : "unresolved"}`}>{i.status === "active" ? "connected" : i.status}</span>
          </h2>
          <dl class="meta">
            <dt>Kind</dt>
            <dd>{i.installationType === "team" ? "Team (channels and its people)" : "Personal app (1:1 chats)"}</dd>
            {i.statusReason ? (
              <>
                <dt>Why</dt>
                <dd>{i.statusReason}</dd>
              </>
            ) : null}
            <dt>Organization</dt>
            <dd>{v.org.name}</dd>
            <dt>Microsoft tenant</dt>
            <dd>{i.tenantId}</dd>
            <dt>Last activity</dt>
            <dd>{utcText(lastActivityAt)}</dd>
          </dl>
          <h3>Checks</h3>
          <ul class="checks">
            {checks.map((ch) => (
              <li class={ch.ok ? "ok" : "error"}>
                {ch.ok ? "OK" : "Problem"}: {ch.detail}
                {ch.fix ? <div class="hint">What to do: {ch.fix}</div> : null}
              </li>
            ))}
          </ul>
          {v.canManage ? (
            i.status === "active" ? (
              <a class="button secondary" href={`${installationsBase(v.org.slug)}${i.id}/disconnect/`}>
                Disconnect…
              </a>
            ) : (
              <SessionForm viewer={v.frame.viewer} action={`${installationsBase(v.org.slug)}${i.id}/reconnect/`} label={`Reconnect ${displayName(i)}`}>
                <button type="submit">Reconnect</button>
                <p class="hint">Checks with Teams that the app is still in the team, then sends alerts here again.</p>
              </SessionForm>
            )
          ) : null}
        </section>
      ))}
      {!v.canManage ? <p class="hint">Only admins of this organization can reconnect or disconnect installations.</p> : null}
    </WebPage>
  );
}

export function DisconnectPage(v: { frame: Frame & { viewer: Viewer }; org: { slug: string }; integration: IntegrationRow }) {
  return (
    <WebPage title="Disconnect" frame={v.frame}>
      <h1>Disconnect {displayName(v.integration)}?</h1>
      <p>
        Nothing is sent to it any more: its alert rules stop posting and cards already posted are no longer updated. The app stays in Teams and the history
        is kept; Reconnect brings it back.
      </p>
      <SessionForm viewer={v.frame.viewer} action={`${installationsBase(v.org.slug)}${v.integration.id}/disconnect/`} label="Confirm disconnect">
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit" class="danger">
          Disconnect
        </button>{" "}
        <a href={installationsBase(v.org.slug)}>Cancel</a>
      </SessionForm>
    </WebPage>
  );
}
