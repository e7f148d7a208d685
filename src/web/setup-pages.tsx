/** "Complete setup": an organization admin, signed in, picks which of their organizations to connect the team to. */
import type { Viewer } from "../auth/sign-in/session";
import { SessionForm, WebPage } from "./layout";

const TITLE = "Connect Microsoft Teams";

function TeamLine(props: { team: string }) {
  return (
    <p>
      Connect the team <strong>{props.team || "(unnamed team)"}</strong> to one of your organizations, so alert rules can post issue cards to it.
    </p>
  );
}

/** Signed out. The admin-token form is offered only for the very first connection of a fresh deployment. */
export function SetupSignInPage(props: { team: string; token: string; firstConnection: { csrf: string; error?: string; organization?: string } | null }) {
  return (
    <WebPage title={TITLE} frame={{ viewer: null }}>
      <h1>{TITLE}</h1>
      <TeamLine team={props.team} />
      <p>Sign in with Microsoft as an admin of the organization.</p>
      <p>
        <a class="button" href={`/auth/sign-in?returnTo=${encodeURIComponent(`/setup/${props.token}`)}`}>
          Sign in with Microsoft
        </a>
      </p>
      {props.firstConnection ? (
        <section class="card" aria-labelledby="first-h">
          <h2 id="first-h">First team of a new deployment</h2>
          <p class="hint">Nobody can sign in yet? Connect this first team with the deployment's admin token (once; later teams need a signed-in admin).</p>
          {props.firstConnection.error ? (
            <p class="error" role="alert">
              {props.firstConnection.error}
            </p>
          ) : null}
          <form method="post" action={`/setup/${props.token}`}>
            <input type="hidden" name="csrf" value={props.firstConnection.csrf} />
            <input type="hidden" name="mode" value="admin_token" />
            <label for="organization">Organization slug</label>
            <input id="organization" name="organization" required autocomplete="off" value={props.firstConnection.organization ?? ""} />
            <label for="token">Admin token</label>
            <input id="token" name="token" type="password" required autocomplete="off" />
            <button type="submit">Connect</button>
          </form>
        </section>
      ) : null}
    </WebPage>
  );
}

/** Signed in: the organizations the viewer administers, one to pick. */
export function SetupPickPage(props: { team: string; token: string; viewer: Viewer; organizations: { slug: string; name: string }[]; error?: string }) {
  const { viewer } = props;
  return (
    <WebPage title={TITLE} frame={{ viewer }}>
      <h1>{TITLE}</h1>
      <TeamLine team={props.team} />
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      {props.organizations.length ? (
        <SessionForm viewer={viewer} action={`/setup/${props.token}`} label="Choose the organization">
          <fieldset>
            <legend>Organization</legend>
            {props.organizations.map((o, i) => (
              <p>
                <input type="radio" id={`org-${i}`} name="organization" value={o.slug} checked={i === 0} />{" "}
                <label class="inline" for={`org-${i}`}>
                  {o.name} ({o.slug})
                </label>
              </p>
            ))}
          </fieldset>
          <button type="submit">Connect</button>
        </SessionForm>
      ) : (
        <p class="error" role="alert">
          You ({viewer.email}) are not an admin of any organization here. Ask an admin of your organization to complete the setup, or to make you
          an admin.
        </p>
      )}
    </WebPage>
  );
}
