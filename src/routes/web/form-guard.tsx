/** What every form route of the web app does first: read the form, check the CSRF token and origin; admins-only pages. */
import type { Context } from "hono";
import { formAllowed } from "../../auth/sign-in/session";
import { MessagePage } from "../../web/layout";
import { siteOrigin, type WebEnv } from "./web-context";

export type FormBody = Record<string, unknown>;

/** The posted form, or null when it is not this session's own (wrong CSRF token or another site's Origin). */
export async function sessionForm(c: Context<WebEnv>): Promise<FormBody | null> {
  const form: FormBody = await c.req.parseBody().catch(() => ({}));
  return formAllowed(c, c.get("viewer"), form.csrf, siteOrigin(c)) ? form : null;
}

export function RefusedPage(props: { viewer: WebEnv["Variables"]["viewer"] }) {
  return (
    <MessagePage title="Request refused" frame={{ viewer: props.viewer }} kind="error">
      <p>The form could not be verified (it came from another site or an old page). Reload the page and try again.</p>
    </MessagePage>
  );
}

export function AdminsOnlyPage(props: { viewer: WebEnv["Variables"]["viewer"]; orgSlug: string; what: string }) {
  return (
    <MessagePage title="Admins only" frame={{ viewer: props.viewer, orgSlug: props.orgSlug }} kind="error">
      <p>Only an admin of this organization can {props.what}. Ask one of them.</p>
    </MessagePage>
  );
}
