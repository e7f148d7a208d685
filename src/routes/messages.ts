import { Hono } from "hono";
import type { AppEnv } from "../env";
import { TEAMS_CHANNEL_ID } from "../bot/activity-types";
import { receiveActivity } from "../bot/receiver";
import { refreshStoredServiceUrl } from "../bot/service-url-refresh";
import { getDb } from "../db/client";
import { MethodNotAllowedError } from "../errors";
import { handleVerifiedActivity } from "../handlers/dispatch";

/**
 * POST /api/messages — the Bot Framework messaging endpoint. Verification lives in bot/receiver.ts; this
 * route adds the method check, serves Teams only, keeps the integration's serviceUrl current, and hands over to
 * dispatch.
 */
export const messagesRoutes = new Hono<AppEnv>();

messagesRoutes.all("/", async (c) => {
  if (c.req.method !== "POST") {
    const err = new MethodNotAllowedError("Use POST: this is the Bot Framework messaging endpoint.");
    err.headers = { Allow: "POST" };
    throw err;
  }
  const { activity } = await receiveActivity(c.req.raw, c.env);
  // A verified token proves Microsoft relayed the activity, not that Teams sent it: on Web Chat or Direct Line the
  // client writes `from` and `channelData` itself. Acknowledge anything else and touch nothing (no read, no write).
  if (activity.channelId !== TEAMS_CHANNEL_ID) {
    console.log(`activity ignored: channel ${String(activity.channelId).slice(0, 40)}`);
    return c.body(null, 200);
  }
  try {
    await refreshStoredServiceUrl(getDb(c.env.DB), activity, Date.now());
  } catch (err) {
    // Keeping the URL current must not cost Teams its answer; the next activity tries again.
    console.error("messages: serviceUrl refresh failed", err instanceof Error ? err.message : String(err));
  }
  return handleVerifiedActivity(c, activity as unknown as Record<string, unknown>);
});
