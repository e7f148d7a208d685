/**
 * The DELIVERIES queue consumer: sends each delivery to Teams and records how it ended. Every delivery ends
 * `delivered` or `dead` (the dead-letter record, with the last error); in between it is `retrying`.
 *
 * - Order per conversation: a delivery waits while an older one to the same conversation is still pending.
 * - Pacing per conversation inside Teams' limits (≤ 7 per second, ≤ 8 per 2 s, ≤ 60 per 30 s), counted in D1 so every
 *   isolate sees the same numbers; over the limit → retried after the window.
 * - 429 / 5xx / network: retried with Retry-After or exponential backoff, bounded; terminal Connector errors
 *   (blocked, not in roster, conversation gone, ...) end the delivery and disable the rule's target.
 */
import { backoffDelay } from "../bot/retry";
import { connectorFor, type ConnectorClient } from "../bot/connector-client";
import { ConnectorError, ConnectorThrottledError } from "../bot/connector-errors";
import { buildRegressionReplyCard } from "../cards/conversation-cards";
import { buildIssueMessage } from "../cards/issue-card";
import { cardMessage } from "../cards/message";
import {
  getDelivery,
  insertNotification,
  markDelivery,
  olderPendingInConversation,
  updateRule,
  type DeliveryRow,
  type NewDelivery,
} from "../db/alert-rules";
import { getDb, type Db } from "../db/client";
import { getGroupVersion } from "../db/groups";
import { getIntegration, type IntegrationRow } from "../db/integrations";
import { incrementWindow } from "../db/rate-limits";
import { publicBaseUrl, type Env } from "../env";
import type { DeliveryMessage } from "./enqueue";
import { enqueueDeliveries } from "./enqueue";
import { loadIssueCard } from "./issue-card-data";

export const MAX_DELIVERY_ATTEMPTS = 8;
const ORDER_WINDOW_MS = 10 * 60_000;
/** Teams' per-bot, per-conversation send limits (teams-protocol.md, "Rate limits and errors"). */
const PACE = [
  { windowMs: 1_000, max: 7 },
  { windowMs: 2_000, max: 8 },
  { windowMs: 30_000, max: 60 },
];

export type ConsumerDeps = { now: () => number; connector: (serviceUrl: string) => ConnectorClient; random: () => number };

export function defaultConsumerDeps(env: Env): ConsumerDeps {
  // Short in-call retries: the queue does the long waiting, so one slow conversation doesn't hold the batch.
  return { now: Date.now, random: Math.random, connector: (url) => connectorFor(env, url, { maxRetries: 1, maxWaitMs: 2_000 }) };
}

type Outcome = { kind: "done" } | { kind: "retry"; delaySeconds: number; error: string | null; countsAsAttempt: boolean } | { kind: "dead"; error: string };

export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env, deps: ConsumerDeps = defaultConsumerDeps(env)): Promise<void> {
  const db = getDb(env.DB);
  // Messages for one conversation are handled in order, one after another; different conversations in parallel.
  const byConversation = new Map<string, { m: Message<unknown>; d: DeliveryRow | null }[]>();
  for (const m of batch.messages) {
    const id = Number((m.body as DeliveryMessage)?.deliveryId);
    const d = Number.isSafeInteger(id) ? await getDelivery(db, id) : null;
    const key = d?.conversationId ?? `delivery:${id}`;
    byConversation.set(key, [...(byConversation.get(key) ?? []), { m, d }]);
  }
  await Promise.all(
    [...byConversation.values()].map(async (items) => {
      items.sort((a, b) => (a.d?.id ?? 0) - (b.d?.id ?? 0));
      let blocked = false;
      for (const { m, d } of items) {
        if (!d) {
          m.ack(); // no such delivery: nothing to do (a malformed message can't be delivered anyway)
          continue;
        }
        if (blocked) {
          // An earlier delivery to this conversation is waiting: keep the order.
          await markDelivery(db, d.id, { status: "retrying" }, deps.now());
          m.retry({ delaySeconds: 1 });
          continue;
        }
        const outcome = await handleOne(db, env, d, deps);
        await settle(db, m, d, outcome, deps.now());
        if (outcome.kind === "retry") blocked = true;
      }
    }),
  );
}

async function settle(db: Db, m: Message<unknown>, d: DeliveryRow, o: Outcome, now: number) {
  if (o.kind === "done") {
    m.ack();
    return;
  }
  if (o.kind === "dead") {
    await markDelivery(db, d.id, { status: "dead", attempts: d.attempts + 1, lastError: o.error }, now);
    m.ack();
    return;
  }
  const attempts = d.attempts + (o.countsAsAttempt ? 1 : 0);
  if (attempts >= MAX_DELIVERY_ATTEMPTS) {
    await markDelivery(db, d.id, { status: "dead", attempts, lastError: o.error ?? "gave up after retries" }, now);
    m.ack();
    return;
  }
  await markDelivery(db, d.id, { status: "retrying", attempts, lastError: o.error ?? d.lastError }, now);
  m.retry({ delaySeconds: Math.max(1, Math.min(o.delaySeconds, 15 * 60)) });
}

async function handleOne(db: Db, env: Env, d: DeliveryRow, deps: ConsumerDeps): Promise<Outcome> {
  if (d.status === "delivered" || d.status === "dead") return { kind: "done" };
  const now = deps.now();
  if (await olderPendingInConversation(db, d, now - ORDER_WINDOW_MS)) {
    return { kind: "retry", delaySeconds: 1, error: null, countsAsAttempt: false };
  }
  const integration = d.integrationId ? await getIntegration(db, d.integrationId) : null;
  if (!integration || integration.status !== "active") return { kind: "dead", error: "integration is not active" };

  if (d.conversationId) {
    const wait = await paceWait(db, d.conversationId, now);
    if (wait > 0) return { kind: "retry", delaySeconds: wait, error: null, countsAsAttempt: false };
  }
  try {
    await perform(db, env, d, integration, deps);
    await markDelivery(db, d.id, { status: "delivered", attempts: d.attempts + 1, lastError: null, data: d.data }, deps.now());
    return { kind: "done" };
  } catch (err) {
    return failure(db, d, err, deps);
  }
}

/** Seconds to wait before this conversation may get another message (0 = go now; the send is counted). */
async function paceWait(db: Db, conversationId: string, now: number): Promise<number> {
  for (const p of PACE) {
    const start = now - (now % p.windowMs);
    const n = await incrementWindow(db, `conv:${p.windowMs}:${conversationId}`, start);
    if (n > p.max) return Math.ceil((start + p.windowMs - now) / 1000);
  }
  return 0;
}

async function perform(db: Db, env: Env, d: DeliveryRow, integration: IntegrationRow, deps: ConsumerDeps): Promise<void> {
  const data = d.data as Record<string, unknown>;
  const connector = deps.connector(integration.serviceUrl);
  const ruleIds = Array.isArray(data.ruleIds) ? (data.ruleIds as number[]) : d.ruleId ? [d.ruleId] : [];
  let builtFrom = -1;
  const card = async () => {
    const loaded = await loadIssueCard(db, {
      groupId: d.groupId!,
      integrationId: integration.id,
      ruleIds,
      eventId: (data.eventId as string | undefined) ?? null,
      baseUrl: publicBaseUrl(env),
    });
    if (!loaded) throw new PermanentDeliveryError("the issue no longer exists");
    builtFrom = loaded.version;
    return buildIssueMessage(loaded.input);
  };
  /**
   * A change that landed between building a new card and recording it (notification_messages) could not see the
   * card to refresh it: if the issue's version moved meanwhile, queue an update of the card just posted. Never
   * throws: the card is posted, and a failed post would be retried (a second card).
   */
  const catchUp = async (conversationId: string, activityId: string) => {
    try {
      if ((await getGroupVersion(db, d.groupId!)) === builtFrom) return;
      const update: NewDelivery = { kind: "update", groupId: d.groupId!, ruleId: d.ruleId, integrationId: integration.id, conversationId, data: { activityId } };
      await enqueueDeliveries(env, db, [update], deps.now());
    } catch (err) {
      console.error("delivery: could not queue the catch-up update", err instanceof Error ? err.message : String(err));
    }
  };
  switch (d.kind) {
    case "post": {
      const sent = await connector.sendToConversation(d.conversationId!, await card());
      await insertNotification(db, {
        groupId: d.groupId!,
        ruleId: d.ruleId,
        integrationId: integration.id,
        conversationId: d.conversationId!,
        activityId: sent.id,
        serviceUrl: integration.serviceUrl,
        postedAt: deps.now(),
      });
      d.data = { ...data, activityId: sent.id };
      await catchUp(d.conversationId!, sent.id);
      return;
    }
    case "update": {
      const activityId = String(data.activityId ?? "");
      await connector.updateActivity(d.conversationId!, activityId, { ...(await card()), id: activityId });
      return;
    }
    case "reply": {
      const reply = buildRegressionReplyCard({
        release: (data.release as string | null) ?? null,
        eventCount: Number(data.eventCount ?? 0),
        at: deps.now(),
      });
      const summary = `Regressed${data.release ? ` in ${String(data.release)}` : ""}`;
      const sent = await connector.replyToActivity(d.conversationId!, String(data.activityId ?? ""), cardMessage(reply, summary));
      d.data = { ...data, replyActivityId: sent.id };
      return;
    }
    case "personal": {
      const chat = await connector.createPersonalConversation({ userId: String(data.teamsUserId), tenantId: String(data.tenantId) });
      const sent = await connector.sendToConversation(chat.id, await card());
      await insertNotification(db, {
        groupId: d.groupId!,
        ruleId: null,
        integrationId: integration.id,
        userId: Number(data.userId),
        conversationId: chat.id,
        activityId: sent.id,
        serviceUrl: integration.serviceUrl,
        postedAt: deps.now(),
      });
      d.data = { ...data, conversationId: chat.id, activityId: sent.id };
      await catchUp(chat.id, sent.id);
      return;
    }
  }
}

/** The delivery can never succeed (the issue is gone, ...). */
class PermanentDeliveryError extends Error {}

async function failure(db: Db, d: DeliveryRow, err: unknown, deps: ConsumerDeps): Promise<Outcome> {
  if (err instanceof PermanentDeliveryError) return { kind: "dead", error: err.message };
  if (err instanceof ConnectorError) {
    const code = err.code;
    if (err.terminal) {
      // The target can't take messages: stop sending there, and say why on the rule (shown by the admin API).
      if (err.disablesTarget && d.ruleId && (d.kind === "post" || d.kind === "reply")) {
        await updateRule(db, d.ruleId, { status: "disabled", statusReason: `Teams refused delivery: ${code}` });
      }
      return { kind: "dead", error: `${code}: ${err.message}` };
    }
    const retryAfter = err instanceof ConnectorThrottledError ? err.retryAfterMs : null;
    const delay = retryAfter ? Math.ceil(retryAfter / 1000) : Math.ceil(backoffDelay(d.attempts, 2_000, 300_000, deps.random) / 1000);
    return { kind: "retry", delaySeconds: delay, error: `${code}: ${err.message}`, countsAsAttempt: true };
  }
  const msg = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : "unknown error";
  return { kind: "retry", delaySeconds: Math.ceil(backoffDelay(d.attempts, 2_000, 300_000, deps.random) / 1000), error: msg, countsAsAttempt: true };
}
