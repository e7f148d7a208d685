import type { Context } from "hono";
import type { AppEnv } from "../app";

/**
 * Entry point after the receiver verified the request: classify the activity and dispatch it.
 * Placeholder until the conversation handlers land (lead owns this file).
 */
export async function handleVerifiedActivity(c: Context<AppEnv>, _activity: Record<string, unknown>): Promise<Response> {
  return c.body(null, 200);
}
