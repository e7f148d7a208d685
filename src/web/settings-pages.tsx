/** The signed-in person's API tokens page and an organization's settings page (admins). Pure builders. */
import type { Viewer } from "../auth/sign-in/session";
import type { ApiTokenRow } from "../db/users";
import { utcText } from "./format";
import { SessionForm, WebPage } from "./layout";

export function TokensPage(props: { viewer: Viewer; tokens: ApiTokenRow[]; created?: { name: string; token: string }; error?: string }) {
  const { viewer } = props;
  return (
    <WebPage title="API tokens" frame={{ viewer }}>
      <h1>Personal API tokens</h1>
      <p>For scripts and CI: a token acts as you on the API. It is shown once, when created; store it as a secret.</p>
      {props.created ? (
        <div class="card ok" role="status">
          <p>
            Token <strong>{props.created.name}</strong> created. Copy it now, it is not shown again:
          </p>
          <pre>{props.created.token}</pre>
        </div>
      ) : null}
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      <SessionForm viewer={viewer} action="/settings/tokens/" label="Create a token">
        <input type="hidden" name="action" value="create" />
        <label for="token-name">Name (what it is for)</label>
        <input id="token-name" name="name" required maxlength={100} />
        <button type="submit">Create token</button>
      </SessionForm>
      <h2>Your tokens</h2>
      {props.tokens.length ? (
        <table>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Created</th>
            <th scope="col">State</th>
          </tr>
          {props.tokens.map((t) => (
            <tr>
              <td>{t.name || "(unnamed)"}</td>
              <td>{utcText(t.createdAt)}</td>
              <td>
                {t.revokedAt ? (
                  `Revoked ${utcText(t.revokedAt)}`
                ) : (
                  <SessionForm viewer={viewer} action="/settings/tokens/" label={`Revoke ${t.name}`}>
                    <input type="hidden" name="action" value="revoke" />
                    <input type="hidden" name="id" value={String(t.id)} />
                    <button type="submit" class="secondary">
                      Revoke
                    </button>
                  </SessionForm>
                )}
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

export function OrgSettingsPage(props: { viewer: Viewer; org: { slug: string; name: string; tenantMembersMayJoin: boolean }; saved?: boolean }) {
  const { viewer, org } = props;
  return (
    <WebPage title={`Settings · ${org.name}`} frame={{ viewer, orgSlug: org.slug }}>
      <h1>Settings · {org.name}</h1>
      {props.saved ? (
        <p class="ok" role="status">
          Saved.
        </p>
      ) : null}
      <SessionForm viewer={viewer} action={`/organizations/${encodeURIComponent(org.slug)}/settings/`} label="Sign-in settings">
        <p>
          <input type="checkbox" id="join" name="tenantMembersMayJoin" value="on" checked={org.tenantMembersMayJoin} />{" "}
          <label for="join" class="inline">
            People of our connected Microsoft tenants may join as members when they first sign in
          </label>
        </p>
        <p class="hint">
          Off: an admin adds each person first. On: anyone who signs in with Microsoft from a tenant where this organization's Teams app
          is connected becomes a member (not an admin).
        </p>
        <button type="submit">Save</button>
      </SessionForm>
    </WebPage>
  );
}
