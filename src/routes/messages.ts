import { Hono } from "hono";
import type { AppEnv } from "../app";
import { receiveActivity } from "../bot/receiver";
import { refreshStoredServiceUrl } from "../bot/service-url-refresh";
import { getDb } from "../db/client";
import { MethodNotAllowedError } from "../errors";
import { handleVerifiedActivity } from "../handlers/dispatch";

/**
 * POST /api/messages — the Bot Framework messaging endpoint. Verification lives in bot/receiver.ts; this
 * route adds the method check, keeps the integration's serviceUrl current, and hands over to dispatch.
 */
export const messagesRoutes = new Hono<AppEnv>();

messagesRoutes.all("/", async (c) => {
  if (c.req.method !== "POST") {
    const err = new MethodNotAllowedError("Use POST: this is the Bot Framework messaging endpoint.");
    err.headers = { Allow: "POST" };
    throw err;
  }
  const { activity } = await receiveActivity(c.req.raw, c.env);
  try {
    await refreshStoredServiceUrl(getDb(c.env.DB), activity, Date.now());
  } catch (err) {
    // Keeping the URL current must not cost Teams its answer; the next activity tries again.
    console.error("messages: serviceUrl refresh failed", err instanceof Error ? err.message : String(err));
  }
  return handleVerifiedActivity(c, activity as unknown as Record<string, unknown>);
});
