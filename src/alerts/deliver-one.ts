/**
 * One attempt at one delivery: read the row, build the card from the issue as it is now, make the Connector call,
 * and record success (or a terminal failure) on the row. Retrying is not decided here: a retryable failure is
 * returned to the conversation's outbox (delivery-outbox.ts), which owns pacing, order and backoff.
 *
 * The Connector client makes no in-call retries (`maxRetries: 0`): a 429 or 5xx comes straight back so the outbox
 * can pause the whole conversation instead of one isolate sleeping on it.
 */
import { connectorFor, type ConnectorClient } from "../bot/connector-client";
import { ConnectorError, ConnectorThrottledError } from "../bot/connector-errors";
import { AppError } from "../errors";
import { buildRegressionReplyCard } from "../cards/conversation-cards";
import { buildIssueMessage } from "../cards/issue-card";
import { cardMessage } from "../cards/message";
import { getDelivery, insertNotification, markDelivery, updateRule, type DeliveryRow, type NewDelivery } from "../db/alert-rules";
import type { Db } from "../db/client";
import { getIssueVersion } from "../db/issues";
import { getIntegration, type IntegrationRow } from "../db/integrations";
import { publicBaseUrl, type Env } from "../env";
import { enqueueDeliveries } from "./enqueue";
import { loadIssueCard } from "./issue-card-data";
import type { Failure } from "./outbox-schedule";

export type AttemptDeps = { now: () => number; connector: (serviceUrl: string) => ConnectorClient };

export function defaultAttemptDeps(env: Env): AttemptDeps {
  return { now: Date.now, connector: (url) => connectorFor(env, url, { maxRetries: 0 }) };
}

export type AttemptResult =
  /** Sent and recorded `delivered`. */
  | { kind: "delivered" }
  /** Nothing to do: no such delivery, or it already ended. */
  | { kind: "finished" }
  /** Can never succeed; recorded `dead` with the reason. `contacted`: Teams was called (counts for pacing). */
  | { kind: "dead"; error: string; contacted: boolean }
  /** May succeed later: the outbox decides when (the row is not touched here). */
  | { kind: "retry"; failure: Failure };

export async function attemptDelivery(env: Env, db: Db, deliveryId: number, deps: AttemptDeps): Promise<AttemptResult> {
  const d = await getDelivery(db, deliveryId);
  if (!d || d.status === "delivered" || d.status === "dead") return { kind: "finished" };
  const integration = d.integrationId ? await getIntegration(db, d.integrationId) : null;
  if (!integration || integration.status !== "active") return dead(db, d, "integration is not active", false, deps.now());
  try {
    await perform(db, env, d, integration, deps);
    await markDelivery(db, d.id, { status: "delivered", attempts: d.attempts + 1, lastError: null, data: d.data }, deps.now());
    return { kind: "delivered" };
  } catch (err) {
    if (err instanceof PermanentDeliveryError) return dead(db, d, err.message, false, deps.now());
    if (err instanceof ConnectorError) {
      if (err.terminal) {
        // The target can't take messages: stop sending there, and say why on the rule (shown by the admin API).
        if (err.disablesTarget && d.ruleId && (d.kind === "post" || d.kind === "reply")) {
          await updateRule(db, d.ruleId, { status: "disabled", statusReason: `Teams refused delivery: ${err.code}` });
        }
        return dead(db, d, `${err.code}: ${err.message}`, true, deps.now());
      }
      const error = `${err.code}: ${err.message}`;
      if (err instanceof ConnectorThrottledError) return { kind: "retry", failure: { kind: "throttled", retryAfterMs: err.retryAfterMs, error } };
      return { kind: "retry", failure: { kind: "failed", error } };
    }
    // Recorded as "<code>: <message>" like Connector errors, so the doctor can tell failures apart by code.
    const error = err instanceof AppError ? `${err.code}: ${err.message}` : err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : "unknown error";
    return { kind: "retry", failure: { kind: "failed", error } };
  }
}

async function dead(db: Db, d: DeliveryRow, error: string, contacted: boolean, now: number): Promise<AttemptResult> {
  await markDelivery(db, d.id, { status: "dead", attempts: d.attempts + (contacted ? 1 : 0), lastError: error }, now);
  return { kind: "dead", error, contacted };
}

/** The delivery can never succeed (the issue is gone, ...). */
class PermanentDeliveryError extends Error {}

async function perform(db: Db, env: Env, d: DeliveryRow, integration: IntegrationRow, deps: AttemptDeps): Promise<void> {
  const data = d.data as Record<string, unknown>;
  const connector = deps.connector(integration.serviceUrl);
  const ruleIds = Array.isArray(data.ruleIds) ? (data.ruleIds as number[]) : d.ruleId ? [d.ruleId] : [];
  let builtFrom = -1;
  const card = async () => {
    const loaded = await loadIssueCard(db, {
      issueId: d.issueId!,
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
      if ((await getIssueVersion(db, d.issueId!)) === builtFrom) return;
      const update: NewDelivery = { kind: "update", issueId: d.issueId!, ruleId: d.ruleId, integrationId: integration.id, conversationId, data: { activityId } };
      await enqueueDeliveries(env, db, [update], deps.now());
    } catch (err) {
      console.error("delivery: could not queue the catch-up update", err instanceof Error ? err.message : String(err));
    }
  };
  switch (d.kind) {
    case "post": {
      const sent = await connector.sendToConversation(d.conversationId!, await card());
      await insertNotification(db, {
        issueId: d.issueId!,
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
        issueId: d.issueId!,
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
