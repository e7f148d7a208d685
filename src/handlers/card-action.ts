/**
 * A click on an issue card (Action.Submit message or Action.Execute invoke): check the integration, tenant and
 * organization; find who clicked (or ask them to link); apply the change as that user; update the card in place.
 */
import { afterIssueChange } from "../alerts/after-change";
import { cardInputAfterChange, issueCardInputFrom, loadIssueCardInput } from "../alerts/issue-card-data";
import type { CardAction } from "../cards/action-payload";
import { buildActionResultCard, buildLinkPromptCard } from "../cards/conversation-cards";
import { buildIssueMessage } from "../cards/issue-card";
import { cardMessage } from "../cards/message";
import type { AdaptiveCard, CardMessage } from "../cards/types";
import type { BatchRead } from "../db/batch-read";
import { cardClickStatement, loadCardClick, memberIdByEmail, organizationAutoLinksByEmail, type CardClick } from "../db/card-click";
import { linkIdentity } from "../db/identities";
import type { IntegrationRow } from "../db/integrations";
import { ForbiddenError, InvalidTransitionError, NotFoundError, ValidationError } from "../errors";
import { changeIssue } from "../issues/issue-service";
import type { IssueCommand } from "../issues/lifecycle";
import type { ClassifiedActivity } from "./classify-activity";
import { linkUrl } from "./commands";
import type { BotContext } from "./context";

type CardActionActivity = Extract<ClassifiedActivity, { kind: "cardAction" }>;

/** What an Action.Execute invoke answers with (Submit ignores it). */
export type InvokeAnswer =
  | { statusCode: 200; type: "application/vnd.microsoft.card.adaptive"; value: AdaptiveCard }
  | { statusCode: 200; type: "application/vnd.microsoft.activity.message"; value: string };

/**
 * The click's reads (one statement, see db/card-click.ts). They change nothing, so dispatch sends them in one batch
 * with its de-dup claim: a repeated delivery costs one wasted read instead of an extra round trip on every click.
 */
export function cardActionPrefetch(ctx: BotContext, a: CardActionActivity): BatchRead<CardClick | null> | null {
  if (a.action.kind === "invalid") return null;
  return cardClickStatement(ctx.db, clickQuery(a, a.action));
}


function clickQuery(a: CardActionActivity, action: CardAction) {
  return { integrationId: action.integrationId, issueId: action.issueId, teamsUserId: a.from.id, ruleIds: action.rules };
}

export async function handleCardAction(ctx: BotContext, a: CardActionActivity, prefetched?: CardClick | null): Promise<InvokeAnswer> {
  if (a.action.kind === "invalid") throw new ValidationError(`Card action: ${a.action.reason}.`);
  const action = a.action;
  const click = prefetched !== undefined ? prefetched : await loadCardClick(ctx.db, clickQuery(a, action));
  const integration = click?.integration;
  if (!click || !integration) throw new NotFoundError("No such integration.");
  if (integration.status !== "active" || !integration.organizationId) {
    throw new ForbiddenError("This Teams installation is not active.", "integration_inactive");
  }
  if (!a.tenantId || integration.tenantId !== a.tenantId) {
    throw new ForbiddenError("This card belongs to another tenant.", "tenant_mismatch");
  }
  const found = click.issue;
  if (!found || found.organizationId !== integration.organizationId) throw new NotFoundError("No such issue.");

  const linked = click.linkedUserId !== null;
  const userId = linked ? click.linkedUserId : await whoClicked(ctx, a, integration);
  if (userId === null) {
    ctx.defer("link prompt", async () => {
      const connector = ctx.connector(a.serviceUrl);
      const chat = await connector.createPersonalConversation({ userId: a.from.id, tenantId: a.tenantId! });
      // The signed link names the 1:1 chat so the page can confirm the link there.
      const withChat = await linkUrl(ctx, "link", {
        tenantId: a.tenantId!,
        teamsUserId: a.from.id,
        aadObjectId: a.from.aadObjectId,
        integrationIds: [integration.id],
        conversationId: chat.id,
        serviceUrl: a.serviceUrl,
      });
      await connector.sendToConversation(chat.id, cardMessage(buildLinkPromptCard({ linkUrl: withChat }), "Link your account to act on issues"));
    });
    return message("Link your Teams account first: I sent you a message with a link (valid for 15 minutes).");
  }

  const request = { integrationId: integration.id, ruleIds: action.rules, eventId: action.eventId, baseUrl: ctx.baseUrl };
  const before = issueCardInputFrom(found.card, request);
  if (action.kind === "empty") {
    // Pressed Resolve / Ignore / Assign without choosing an option: nothing changes, the card stays as it is.
    return answerWith(buildIssueMessage(before));
  }

  const command = toCommand(action, userId);
  try {
    const changed = await changeIssue(
      ctx.db,
      {
        issueId: action.issueId,
        commands: [command],
        actor: { kind: "user", userId },
        source: "teams",
        organizationId: integration.organizationId,
        // Read just above, with the assignee, latest release and the clicker's membership: saves changeIssue its
        // reads on the first attempt (its guarded write re-reads and re-plans if they went stale).
        loaded: { ...found, actorIsMember: linked ? click.linkedUserIsMember : undefined },
      },
      ctx.now,
    );
    // Nobody changed the issue's status or assignee between the click's read and our write (the write is guarded
    // by that version): the card is the row as written (counters as of the write) with the labels and Assign lists
    // read with the click, brought up to date with what we changed. Otherwise, read the card data again.
    const unchangedSince = changed.issue.version === found.issue.version + changed.changes.length;
    const upToDate = unchangedSince
      ? cardInputAfterChange(issueCardInputFrom({ ...found.card, issue: changed.issue }, request), changed, { userId, email: click.linkedUserEmail })
      : null;
    const [input] = await Promise.all([
      upToDate ?? loadIssueCardInput(ctx.db, { issueId: action.issueId, ...request }),
      afterIssueChange(ctx.env, changed, {
        skip: a.replyToId ? { conversationId: a.conversationId, activityId: a.replyToId } : undefined,
      }),
    ]);
    if (!input) throw new NotFoundError("No such issue.");
    const updated = buildIssueMessage(input);
    const answer = answerWith(updated);
    if (a.via === "submit" && a.replyToId) {
      ctx.defer("card update", () => ctx.connector(a.serviceUrl).updateActivity(a.conversationId, a.replyToId!, { ...updated, id: a.replyToId! }));
    }
    return answer;
  } catch (err) {
    if (err instanceof InvalidTransitionError || err instanceof ValidationError) {
      // A refusal the person should read (already resolved, assignee outside the organization, ...).
      const text = err.message;
      if (a.via === "submit") {
        ctx.defer("refusal", () =>
          ctx.connector(a.serviceUrl).sendToConversation(a.conversationId, cardMessage(buildActionResultCard({ tone: "warning", text }), text)),
        );
      }
      return message(text);
    }
    throw err;
  }
}

/** No linked identity: where the org allows it, the same-email member (linked now); else null. */
async function whoClicked(ctx: BotContext, a: CardActionActivity, integration: IntegrationRow): Promise<number | null> {
  const organizationId = integration.organizationId!;
  if (!(await organizationAutoLinksByEmail(ctx.db, organizationId))) return null;
  const roster = rosterIdOf(a);
  if (!roster) return null;
  let email: string | undefined;
  try {
    const member = await ctx.connector(a.serviceUrl).getMember(roster, a.from.id);
    email = member.email ?? member.userPrincipalName;
  } catch {
    return null; // can't look the member up: fall back to the link page
  }
  if (!email) return null;
  const match = await memberIdByEmail(ctx.db, organizationId, email);
  if (match === null) return null;
  await linkIdentity(ctx.db, {
    integrationIds: [integration.id],
    tenantId: integration.tenantId,
    teamsUserId: a.from.id,
    aadObjectId: a.from.aadObjectId,
    userId: match,
    now: ctx.now(),
  });
  return match;
}

/**
 * Where to look the clicker up, as botbuilder's TeamsInfo.getMember does: in a team, the team id (the team's roster;
 * a channel thread id "…;messageid=…" answers 404 ThreadNotFound and a channel id alone gives a partial roster); in a
 * personal or group chat, the conversation id. A channel click without a team id has no roster to ask.
 */
function rosterIdOf(a: CardActionActivity): string | null {
  if (a.conversationType === "channel") return a.team?.id ?? null;
  return a.conversationId;
}

function toCommand(action: Exclude<CardAction, { kind: "empty" }>, userId: number): IssueCommand {
  switch (action.kind) {
    case "resolve":
      return { kind: "resolve", mode: action.mode };
    case "unresolve":
      return { kind: "unresolve" };
    case "ignore":
      return { kind: "ignore", condition: action.condition };
    case "assign":
      return { kind: "assign", target: action.target.kind === "me" ? { kind: "user", id: userId } : action.target };
    case "unassign":
      return { kind: "unassign" };
  }
}

function answerWith(msg: CardMessage): InvokeAnswer {
  return { statusCode: 200, type: "application/vnd.microsoft.card.adaptive", value: msg.attachments[0].content };
}

function message(text: string): InvokeAnswer {
  return { statusCode: 200, type: "application/vnd.microsoft.activity.message", value: text };
}
