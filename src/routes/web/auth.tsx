/**
 * Sign-in with Microsoft and the first admin's claim:
 *   GET  /auth/sign-in?returnTo=/path   → the authority (state, nonce, PKCE in a 10-minute sealed cookie)
 *   GET  /auth/microsoft/callback       → checks everything (sign-in-flow.ts), finds who this is, starts a session
 *   POST /auth/sign-out                 → ends the session
 *   GET/POST /auth/claim                → a fresh deployment's first admin, once, with ADMIN_TOKEN
 * Every refusal is a page saying what happened and what to do (4xx; 502 when Microsoft is unreachable).
 */
import { Hono, type Context } from "hono";
import { FLOW_TTL_SECONDS, openPendingIdentity, PENDING_TTL_SECONDS, safeReturnPath, sealPendingIdentity } from "../../auth/sign-in/flow-cookie";
import { resolveSignIn } from "../../auth/sign-in/resolve-user";
import { beginSession, clearSiteCookie, currentViewer, endSession, formAllowed, readSiteCookie, setSiteCookie } from "../../auth/sign-in/session";
import { signInConfig } from "../../auth/sign-in/sign-in-config";
import { AuthorityUnavailableError, IdTokenRejectedError, SignInDeniedError, SignInStateError } from "../../auth/sign-in/sign-in-errors";
import { completeSignIn, startSignIn } from "../../auth/sign-in/sign-in-flow";
import { claimInstance, instanceClaimed } from "../../db/instance-claim";
import { NotConfiguredError } from "../../errors";
import { timingSafeEqual } from "../../http/bearer";
import { MessagePage, WebPage } from "../../web/layout";
import type { AppEnv } from "../../env";
import { isSecureSite, siteOrigin, webDb } from "./web-context";

export const authRoutes = new Hono<AppEnv>();

const noFrame = { viewer: null };

authRoutes.get("/sign-in", async (c) => {
  const config = signInConfig(c.env, c.req.url);
  const { url, sealedFlow } = await startSignIn(config, safeReturnPath(c.req.query("returnTo")));
  setSiteCookie(c, "sign_in", sealedFlow, config.secure, FLOW_TTL_SECONDS);
  return c.redirect(url, 302);
});

authRoutes.get("/microsoft/callback", async (c) => {
  const config = signInConfig(c.env, c.req.url);
  const db = webDb(c);
  const flowCookie = readSiteCookie(c, "sign_in", config.secure);
  clearSiteCookie(c, "sign_in", config.secure);
  const { identity, returnTo } = await completeSignIn(db, config, new URL(c.req.url), flowCookie, c.env.CACHE ?? null);
  const match = await resolveSignIn(db, identity, Date.now());
  if (match.kind === "user") {
    await beginSession(c, db, match.user.id, identity, config.secure);
    return c.redirect(returnTo, 302);
  }
  // Nobody here: nothing is created. Keep the verified identity briefly for the first-admin claim.
  setSiteCookie(c, "pending", await sealPendingIdentity(config.signingSecret, identity), config.secure, PENDING_TTL_SECONDS);
  const claimable = !!c.env.ADMIN_TOKEN?.trim() && !(await instanceClaimed(db));
  return c.html(
    <MessagePage title="No account here yet" frame={noFrame} kind="error">
      <p>
        You signed in as <strong>{identity.email ?? identity.name ?? "a Microsoft user"}</strong>, but no one here has added you yet.
      </p>
      <p>
        Ask an admin of your organization to invite <strong>{identity.email ?? "your work email address"}</strong> (on its People page), or to turn on
        “members of our Microsoft tenant may join” in the organization's settings. Then sign in again.
      </p>
      {claimable ? (
        <p>
          Setting up this deployment? <a href="/auth/claim">Claim it as its first admin</a> (needs the deployment's admin token, once).
        </p>
      ) : null}
      <p>
        <a href="/">Back to the start page</a>
      </p>
    </MessagePage>,
    403,
  );
});

authRoutes.post("/sign-out", async (c) => {
  const secure = isSecureSite(c);
  const db = webDb(c);
  const viewer = await currentViewer(c, db, secure);
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  if (viewer && !formAllowed(c, viewer, form.csrf, siteOrigin(c))) return refused(c);
  await endSession(c, db, secure);
  return c.redirect("/", 303);
});

const SLUG = /^[a-z0-9][a-z0-9-]{0,48}[a-z0-9]$/;

function ClaimForm(props: { who: string; nonce: string; error?: string; name?: string; slug?: string }) {
  return (
    <WebPage title="Claim this deployment" frame={noFrame}>
      <h1>Claim this deployment</h1>
      <p>
        You are signed in as <strong>{props.who}</strong>. The first admin of a fresh deployment proves it once with the admin token
        (<code>ADMIN_TOKEN</code>); after that you and the people you add sign in with Microsoft only.
      </p>
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action="/auth/claim">
        <input type="hidden" name="csrf" value={props.nonce} />
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" required autocomplete="off" />
        <label for="organizationName">Organization name</label>
        <input id="organizationName" name="organizationName" required maxlength={100} value={props.name ?? ""} />
        <label for="organizationSlug">Organization slug</label>
        <input id="organizationSlug" name="organizationSlug" required pattern="[a-z0-9][a-z0-9-]*[a-z0-9]" maxlength={50} value={props.slug ?? ""} aria-describedby="slug-hint" />
        <p class="hint" id="slug-hint">
          Lower-case letters, digits and dashes, as in links. An existing organization with this slug makes you its admin.
        </p>
        <button type="submit">Claim and continue</button>
      </form>
    </WebPage>
  );
}

async function pendingFor(c: Context<AppEnv>) {
  const config = signInConfig(c.env, c.req.url);
  return { config, pending: await openPendingIdentity(config.signingSecret, readSiteCookie(c, "pending", config.secure)) };
}

function notClaimable(c: Context<AppEnv>, why: "claimed" | "no_identity" | "no_token") {
  const text = {
    claimed: "This deployment already has its first admin. Ask them to add you.",
    no_identity: "Sign in with Microsoft first (your sign-in is kept for 15 minutes), then open this page again.",
    no_token: "This deployment has no admin token (ADMIN_TOKEN), so it cannot be claimed from the web. See docs/deploy.md.",
  }[why];
  return c.html(
    <MessagePage title="Cannot claim this deployment" frame={noFrame} kind="error">
      <p>{text}</p>
      <p>{why === "no_identity" ? <a href="/auth/sign-in?returnTo=%2Fauth%2Fclaim">Sign in with Microsoft</a> : <a href="/">Back to the start page</a>}</p>
    </MessagePage>,
    why === "no_identity" ? 401 : 403,
  );
}

authRoutes.get("/claim", async (c) => {
  const { pending } = await pendingFor(c);
  if (!c.env.ADMIN_TOKEN?.trim()) return notClaimable(c, "no_token");
  if (await instanceClaimed(webDb(c))) return notClaimable(c, "claimed");
  if (!pending) return notClaimable(c, "no_identity");
  return c.html(<ClaimForm who={pending.identity.email ?? pending.identity.name} nonce={pending.nonce} />);
});

authRoutes.post("/claim", async (c) => {
  const { config, pending } = await pendingFor(c);
  const expected = c.env.ADMIN_TOKEN?.trim();
  if (!expected) return notClaimable(c, "no_token");
  if (!pending) return notClaimable(c, "no_identity");
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  const origin = c.req.header("origin");
  if ((origin && origin !== "null" && origin !== siteOrigin(c)) || typeof form.csrf !== "string" || !timingSafeEqual(form.csrf, pending.nonce)) return refused(c);
  const who = pending.identity.email ?? pending.identity.name;
  const name = typeof form.organizationName === "string" ? form.organizationName.trim().slice(0, 100) : "";
  const slug = typeof form.organizationSlug === "string" ? form.organizationSlug.trim().toLowerCase() : "";
  const again = (error: string, status: 400 | 401) => c.html(<ClaimForm who={who} nonce={pending.nonce} error={error} name={name} slug={slug} />, status);
  const token = typeof form.token === "string" ? form.token.trim() : "";
  if (!token || !timingSafeEqual(token, expected)) return again("That is not this deployment's admin token.", 401);
  if (!name || !SLUG.test(slug)) return again("Give the organization a name and a slug of lower-case letters, digits and dashes.", 400);
  if (!pending.identity.email) return again("Your Microsoft account has no email address to sign in with; use a work account that has one.", 400);
  const db = webDb(c);
  const userId = await claimInstance(db, {
    email: pending.identity.email,
    name: pending.identity.name,
    organizationName: name,
    organizationSlug: slug,
    tenantId: pending.identity.tenantId,
    objectId: pending.identity.objectId,
    now: Date.now(),
  });
  if (userId === null) return notClaimable(c, "claimed");
  clearSiteCookie(c, "pending", config.secure);
  await beginSession(c, db, userId, pending.identity, config.secure);
  return c.redirect(`/organizations/${encodeURIComponent(slug)}/issues/`, 303);
});

function refused(c: Context<AppEnv>) {
  return c.html(
    <MessagePage title="Request refused" frame={noFrame} kind="error">
      <p>The form could not be verified (it came from another site or an old page). Go back, reload the page and try again.</p>
    </MessagePage>,
    403,
  );
}

/** Sign-in failures as pages: what happened and what to do, never Microsoft's own error text. */
authRoutes.onError((err, c) => {
  const page = (title: string, text: string, status: 400 | 401 | 502 | 503) =>
    c.html(
      <MessagePage title={title} frame={noFrame} kind="error">
        <p>{text}</p>
        <p>
          <a href="/auth/sign-in">Sign in again</a> · <a href="/">Start page</a>
        </p>
      </MessagePage>,
      status,
    );
  if (err instanceof SignInStateError) {
    return page("Sign-in not accepted", "This sign-in was not started in this browser, took longer than 10 minutes or was already used. Start again.", 400);
  }
  if (err instanceof SignInDeniedError) return page("Not signed in", "Microsoft did not sign you in (cancelled, or consent is missing). Try again or ask your admin.", 401);
  if (err instanceof IdTokenRejectedError) {
    console.warn("sign-in: id_token refused", err.reason);
    return page("Sign-in not accepted", "Microsoft's answer could not be verified, so you are not signed in. Try again; if it keeps happening, tell your admin.", 401);
  }
  if (err instanceof AuthorityUnavailableError) return page("Sign-in unavailable", err.message, 502);
  if (err instanceof NotConfiguredError) return page("Sign-in not set up", err.message, 503);
  throw err;
});
