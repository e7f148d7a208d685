/**
 * What every managing form of the web app checks first, in this order: the form came from our page with the
 * session's CSRF token (else 403 "Request refused"), then the viewer is an admin of the organization (else 403
 * "Admins only"). A stranger never gets here: orgOfViewer answered 404 before.
 */
import type { Context } from "hono";
import { formAllowed } from "../../auth/sign-in/session";
import type { MembershipRole } from "../../db/organizations";
import { MessagePage } from "../../web/layout";
import { siteOrigin, type WebEnv } from "./web-context";

export function adminsOnlyPage(c: Context<WebEnv>, what: string) {
  return c.html(
    <MessagePage title="Admins only" frame={{ viewer: c.get("viewer") }} kind="error">
      <p>Only an admin of this organization can {what}. Ask one of them.</p>
    </MessagePage>,
    403,
  );
}

/** The posted form, or the refusal to answer with. */
export async function managingForm(c: Context<WebEnv>, role: MembershipRole, what: string): Promise<{ form: Record<string, unknown> } | { refusal: Response }> {
  const viewer = c.get("viewer");
  const form = (await c.req.parseBody().catch(() => ({}))) as Record<string, unknown>;
  if (!formAllowed(c, viewer, form.csrf, siteOrigin(c))) {
    return {
      refusal: await c.html(
        <MessagePage title="Request refused" frame={{ viewer }} kind="error">
          <p>The form could not be verified (it came from another site or an old page). Reload the page and try again.</p>
        </MessagePage>,
        403,
      ),
    };
  }
  if (role !== "admin") return { refusal: await adminsOnlyPage(c, what) };
  return { form };
}
