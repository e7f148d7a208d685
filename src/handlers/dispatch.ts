/**
 * After the receiver verified the request: classify the activity once, drop repeats, and hand it to the one
 * handler for its kind. Handlers do their Connector calls after the answer (ctx.waitUntil), so Teams gets its
 * 200 quickly.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env";
import type { Activity } from "../bot/activity-types";
import type { BatchRead } from "../db/batch-read";
import { activityKey, claimWithRead, release } from "../db/processed-activities";
import { cardActionPrefetch, handleCardAction } from "./card-action";
import { classifyActivity, type ClassifiedActivity } from "./classify-activity";
import { handleChannelMessage, handlePersonalMessage } from "./commands";
import { botContext, type BotContext } from "./context";
import { handleSettingsAction } from "./settings-action";
import { handleBotAddedToTeam, handleBotRemovedFromTeam, handlePersonalInstall, handlePersonalUninstall } from "./install";

type Kind = ClassifiedActivity["kind"];
type Handler<K extends Kind> = (ctx: BotContext, a: Extract<ClassifiedActivity, { kind: K }>, prefetched?: never) => Promise<unknown>;
type PrefetchFor<K extends Kind> = (ctx: BotContext, a: Extract<ClassifiedActivity, { kind: K }>) => BatchRead<unknown> | null;

const handlers: { [K in Kind]: Handler<K> } = {
  cardAction: handleCardAction,
  settingsAction: handleSettingsAction,
  personalMessage: handlePersonalMessage,
  channelMessage: handleChannelMessage,
  botAddedToTeam: handleBotAddedToTeam,
  botRemovedFromTeam: handleBotRemovedFromTeam,
  personalInstall: handlePersonalInstall,
  personalUninstall: handlePersonalUninstall,
  // A log line per typing indicator would drown the ones worth reading (an invoke we do not answer, say).
  ignored: async (_ctx, a) => {
    if (!a.routine) console.log(`activity ignored: ${a.reason}`);
  },
};

/**
 * Reads a handler needs first, with no effect: they go in one D1 batch with the de-dup claim instead of after it,
 * and their result is the handler's third argument. (Only card clicks, the hot path, have one.)
 */
const prefetchers: { [K in Kind]?: PrefetchFor<K> } = {
  cardAction: cardActionPrefetch,
};

export async function handleVerifiedActivity(c: Context<AppEnv>, raw: Record<string, unknown>): Promise<Response> {
  const activity = classifyActivity(raw as Activity);
  const ctx = botContext(c.env, safeWaitUntil(c), c.req.url);
  const isInvoke = activity.kind === "cardAction" && activity.via === "execute";

  // The same activity delivered twice (Teams retries) is processed once. Activities we ignore have no effect to
  // repeat, so they cost no D1 write.
  const key = activity.activityId && activity.kind !== "ignored" ? activityKey(activity.conversationId, activity.activityId) : null;
  const prefetch = (prefetchers[activity.kind] as PrefetchFor<Kind> | undefined)?.(ctx, activity as never) ?? null;
  // One batch (a transaction): if it fails, nothing was claimed.
  const { claimed, read: pre } = await claimWithRead(ctx.db, key, prefetch, ctx.now());
  if (!claimed) {
    return isInvoke ? c.json({ statusCode: 200, type: "application/vnd.microsoft.activity.message", value: "Already handled." }) : c.body(null, 200);
  }
  try {
    const result = await (handlers[activity.kind] as Handler<Kind>)(ctx, activity as never, pre as never);
    if (isInvoke) return c.json(result as object);
    return c.body(null, 200);
  } catch (err) {
    // Not processed after all: let a redelivery try again.
    if (key) await release(ctx.db, key).catch(() => {});
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
