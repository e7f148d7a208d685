import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./env";
import { AppError } from "./errors";
import { pageHeaders } from "./http/page-headers";
import { adminRoutes } from "./routes/admin/index";
import { ingestRoutes } from "./routes/ingest";
import { messagesRoutes } from "./routes/messages";
import { sentryRoutes } from "./routes/sentry";
import { PAGE_STYLE } from "./routes/pages/layout";
import { linkRoutes } from "./routes/pages/link";
import { setupRoutes } from "./routes/pages/setup";
import { webRoutes } from "./routes/web/index";
import { notFoundHtml } from "./web/landing-page";
import { WEB_CSS } from "./web/stylesheet";


export function buildApp() {
  const app = new Hono<AppEnv>();

  // Every HTML answer (pages, their refusals, and any page added later) gets the page security headers.
  app.use("*", pageHeaders({ inlineStyles: [PAGE_STYLE, WEB_CSS] }));
  app.get("/health", (c) => c.json({ ok: true }));
  app.route("/api/projects", ingestRoutes);
  app.route("/api/admin", adminRoutes);
  app.route("/api/messages", messagesRoutes);
  app.route("/api", sentryRoutes);
  app.route("/setup", setupRoutes);
  app.route("/", linkRoutes);
  app.route("/", webRoutes);

  app.notFound((c) =>
    // A browser (a mistyped page address) gets a page, not JSON.
    c.req.header("accept")?.includes("text/html")
      ? c.html(notFoundHtml, 404)
      : c.json({ error: { code: "not_found", message: "No such route." } }, 404),
  );
  app.onError((err, c) => {
    if (err instanceof AppError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      return c.json({ error: { code: err.code, message: err.message } }, err.status as ContentfulStatusCode);
    }
    // Unknown failure: log the error (never request secrets), answer without details.
    console.error("unhandled error", err instanceof Error ? err.stack : String(err));
    return c.json({ error: { code: "internal_error", message: "Internal error." } }, 500);
  });
  return app;
}

export const app = buildApp();
