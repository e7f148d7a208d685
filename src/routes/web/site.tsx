/** GET /about, /privacy, /terms: the public pages the Teams app package links to (no sign-in needed). */
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { currentViewer } from "../../auth/sign-in/session";
import { AboutPage, PrivacyPage, TermsPage } from "../../web/site-pages";
import { isSecureSite, webDb } from "./web-context";

export const sitePageRoutes = new Hono<AppEnv>();

const PAGES = { "/about": AboutPage, "/privacy": PrivacyPage, "/terms": TermsPage };

for (const [path, Page] of Object.entries(PAGES)) {
  sitePageRoutes.get(path, async (c) => c.html(<Page viewer={await currentViewer(c, webDb(c), isSecureSite(c))} />));
}
