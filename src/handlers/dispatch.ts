/**
 * After the receiver verified the request: classify the activity once, drop repeats, and hand it to the one
 * handler for its kind. Handlers do their Connector calls after the answer (ctx.waitUntil), so Teams gets its
 * 200 quickly.
 */
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import type { AppEnv } from "../app";
import type { Activity } from "../bot/activity-types";
import { processedActivities } from "../db/schema";
import { handleCardAction } from "./card-action";
import { classifyActivity, type ClassifiedActivity } from "./classify-activity";
import { handleChannelMessage, handlePersonalMessage } from "./commands";
import { botContext, type BotContext } from "./context";
import { handleBotAddedToTeam, handleBotRemovedFromTeam, handlePersonalInstall, handlePersonalUninstall } from "./install";

type Handler<K extends ClassifiedActivity["kind"]> = (ctx: BotContext, a: Extract<ClassifiedActivity, { kind: K }>) => Promise<unknown>;

const handlers: { [K in ClassifiedActivity["kind"]]: Handler<K> } = {
  cardAction: handleCardAction,
  personalMessage: handlePersonalMessage,
  channelMessage: handleChannelMessage,
  botAddedToTeam: handleBotAddedToTeam,
  botRemovedFromTeam: handleBotRemovedFromTeam,
  personalInstall: handlePersonalInstall,
  personalUninstall: handlePersonalUninstall,
  ignored: async (_ctx, a) => console.log(`activity ignored: ${a.reason}`),
};

export async function handleVerifiedActivity(c: Context<AppEnv>, raw: Record<string, unknown>): Promise<Response> {
  const activity = classifyActivity(raw as Activity);
  const ctx = botContext(c.env, safeWaitUntil(c), c.req.url);
  const isInvoke = activity.kind === "cardAction" && activity.via === "execute";

  // The same activity delivered twice (Teams retries) is processed once. Activities we ignore have no effect to
  // repeat, so they cost no D1 write.
  const key = activity.activityId && activity.kind !== "ignored" ? `activity:${activity.conversationId}|${activity.activityId}` : null;
  if (key) {
    const r = await ctx.db.insert(processedActivities).values({ key, receivedAt: ctx.now() }).onConflictDoNothing();
    if ((r.meta.changes ?? 0) === 0) return isInvoke ? c.json({ statusCode: 200, type: "application/vnd.microsoft.activity.message", value: "Already handled." }) : c.body(null, 200);
  }
  try {
    const result = await (handlers[activity.kind] as Handler<typeof activity.kind>)(ctx, activity as never);
    if (isInvoke) return c.json(result as object);
    return c.body(null, 200);
  } catch (err) {
    // Not processed after all: let a redelivery try again.
    if (key) await ctx.db.delete(processedActivities).where(eq(processedActivities.key, key)).catch(() => {});
    throw err;
  }
}

function safeWaitUntil(c: Context<AppEnv>): ((p: Promise<unknown>) => void) | null {
  try {
    const ec = c.executionCtx;
    return (p) => ec.waitUntil(p);
  } catch {
    return null;
  }
}
