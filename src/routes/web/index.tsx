/**
 * The web app, server-rendered by this Worker (hono/jsx, no scripts): the landing page, sign-in, the issue and
 * rule pages cards link to, API tokens and organization settings, projects, people, me, about / privacy / terms.
 * Every page gets the page security headers (app.ts, http/page-headers.ts); every page but the landing page, sign-in
 * and about / privacy / terms needs a session (signed out → sign-in and back).
 */
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../env";
import { currentViewer } from "../../auth/sign-in/session";
import { listUserMemberships } from "../../db/users";
import { AppError, NotFoundError } from "../../errors";
import { LandingPage, NotFoundPage } from "../../web/landing-page";
import { MessagePage } from "../../web/layout";
import { authRoutes } from "./auth";
import { deliveryRoutes } from "./deliveries";
import { installationRoutes } from "./installations";
import { issueRoutes } from "./issues";
import { ruleRoutes } from "./rules";
import { orgSettingsRoutes, tokenRoutes } from "./settings";
import { projectPageRoutes } from "./projects";
import { meRoutes } from "./me";
import { peopleRoutes } from "./people";
import { sitePageRoutes } from "./site";
import { isSecureSite, requireViewer, webDb, type WebEnv } from "./web-context";

export const webRoutes = new Hono<AppEnv>();


webRoutes.get("/", async (c) => {
  const db = webDb(c);
  const viewer = await currentViewer(c, db, isSecureSite(c));
  const memberships = viewer ? await listUserMemberships(db, viewer.userId) : [];
  return c.html(<LandingPage viewer={viewer} organizations={memberships.map((m) => ({ slug: m.organizationSlug, role: m.role }))} />);
});

webRoutes.route("/auth", authRoutes);
webRoutes.route("/", sitePageRoutes);

const signedIn = new Hono<WebEnv>();
signedIn.use("/organizations/*", requireViewer);
signedIn.use("/settings/*", requireViewer);
signedIn.use("/me/*", requireViewer);
signedIn.route("/organizations", issueRoutes);
signedIn.route("/organizations", ruleRoutes);
signedIn.route("/organizations", installationRoutes);
signedIn.route("/organizations", deliveryRoutes);
signedIn.route("/organizations", orgSettingsRoutes);
signedIn.route("/organizations", projectPageRoutes);
signedIn.route("/", meRoutes);
signedIn.route("/organizations", peopleRoutes);
signedIn.route("/settings", tokenRoutes);
signedIn.onError((err, c) => {
  const viewer = c.get("viewer") ?? null;
  if (err instanceof NotFoundError) return c.html(<NotFoundPage viewer={viewer} />, 404);
  if (err instanceof AppError && err.status !== 404) {
    return c.html(
      <MessagePage title="Something went wrong" frame={{ viewer }} kind="error">
        <p>{err.message}</p>
      </MessagePage>,
      err.status as ContentfulStatusCode,
    );
  }
  console.error("web: unhandled error", err instanceof Error ? err.stack : String(err));
  return c.html(
    <MessagePage title="Something went wrong" frame={{ viewer }} kind="error">
      <p>The page could not be shown because of an error on our side. Try again in a moment.</p>
    </MessagePage>,
    500,
  );
});
webRoutes.route("/", signedIn);
