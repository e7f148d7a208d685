/**
 * The signed-in person's own page: organizations, Teams links (unlink), personal notification settings (the same
 * three toggles as the chat's `notifications` card, by the same names), followed projects, and API tokens.
 */
import type { Viewer } from "../auth/sign-in/session";
import { NOTIFICATION_TOGGLES, type NotificationToggleId } from "../cards/action-payload";
import { TOGGLE_TITLES } from "../cards/subscription-cards";
import type { UserTeamsLink } from "../db/identities";
import type { NotificationSettings } from "../db/notification-settings";
import type { UserMembership } from "../db/users";
import { ConfirmBox } from "./fields";
import type { FieldErrors } from "./form-errors";
import { utcText } from "./format";
import { Notice, SessionForm, WebPage } from "./layout";

export function MePage(props: {
  viewer: Viewer;
  memberships: UserMembership[];
  links: UserTeamsLink[];
  settings: NotificationSettings;
  followed: { id: number; slug: string; name: string }[];
  notice?: string;
  unlinkErrors?: { id: number; fields: FieldErrors };
}) {
  const { viewer } = props;
  return (
    <WebPage title="Me" frame={{ viewer, orgSlug: props.memberships.length === 1 ? props.memberships[0].organizationSlug : undefined }}>
      <h1>{viewer.name || viewer.email}</h1>
      <Notice notice={props.notice} />
      <dl class="meta">
        <dt>Email</dt>
        <dd>{viewer.email}</dd>
        <dt>Organizations</dt>
        <dd>
          {props.memberships.length
            ? props.memberships.map((m, i) => (
                <>
                  {i ? ", " : ""}
                  <a href={`/organizations/${encodeURIComponent(m.organizationSlug)}/issues/`}>{m.organizationSlug}</a> ({m.role})
                </>
              ))
            : "none"}
        </dd>
      </dl>

      <h2>Notifications</h2>
      <p class="hint">What the bot sends you in your personal Teams chat (the chat's notifications command shows the same settings).</p>
      <SessionForm viewer={viewer} action="/me/notifications" label="Notification settings">
        {(Object.keys(NOTIFICATION_TOGGLES) as NotificationToggleId[]).map((id) => (
          <p class="confirm">
            <input type="checkbox" id={id} name={id} value="on" checked={props.settings[NOTIFICATION_TOGGLES[id]]} />{" "}
            <label for={id} class="inline">
              {TOGGLE_TITLES[id]}
            </label>
          </p>
        ))}
        <button type="submit">Save</button>
      </SessionForm>
      <h3>Projects you follow</h3>
      {props.followed.length ? (
        <ul>
          {props.followed.map((p) => (
            <li>
              {p.name} ({p.slug}){" "}
              <SessionForm viewer={viewer} action="/me/unfollow" label={`Stop following ${p.slug}`}>
                <input type="hidden" name="projectId" value={String(p.id)} />
                <button type="submit" class="secondary small">
                  Stop following
                </button>
              </SessionForm>
            </li>
          ))}
        </ul>
      ) : (
        <p class="hint">None. Follow one on its project page, or type subscribe and its name in your personal chat with the bot.</p>
      )}

      <h2>Teams accounts linked to you</h2>
      <p class="hint">Card buttons you press in Teams act as you through these links.</p>
      {props.links.length ? (
        <table class="stack">
          <tr>
            <th scope="col">Where</th>
            <th scope="col">Organization</th>
            <th scope="col">Linked</th>
            <th scope="col"></th>
          </tr>
          {props.links.map((l) => (
            <tr>
              <td>{l.installationType === "team" ? `Team ${l.installationName || "(unnamed)"}` : "Personal app"}</td>
              <td data-label="Organization">{l.organizationName ?? "—"}</td>
              <td data-label="Linked">{utcText(l.linkedAt)}</td>
              <td>
                <SessionForm viewer={viewer} action={`/me/links/${l.id}/unlink`} label="Unlink">
                  <ConfirmBox
                    id={`confirm-unlink-${l.id}`}
                    label="Card buttons there stop acting as me"
                    errors={props.unlinkErrors?.id === l.id ? props.unlinkErrors.fields : undefined}
                  />
                  <button type="submit" class="danger">
                    Unlink
                  </button>
                </SessionForm>
              </td>
            </tr>
          ))}
        </table>
      ) : (
        <p>None. In Teams, type link in your chat with the bot.</p>
      )}

      <h2>API tokens</h2>
      <p>
        For scripts and CI: <a href="/settings/tokens/">your personal API tokens</a>.
      </p>
    </WebPage>
  );
}
