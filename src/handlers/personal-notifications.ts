/**
 * The personal chat's alert commands: `subscribe` / `unsubscribe` follow and unfollow a project (its new issues
 * come to this chat), `notifications` shows the settings card, whose Save submit lands in `saveNotifications`.
 */
import { buildActionResultCard } from "../cards/conversation-cards";
import { buildNotificationsCard } from "../cards/subscription-cards";
import { DEFAULT_NOTIFICATION_SETTINGS, followedProjects, followProject, getNotificationSettings, saveNotificationSettings, unfollowProject, type NotificationSettings } from "../db/notification-settings";
import type { Answer } from "./channel-subscriptions";
import { matchProject, personalCaller } from "./chat-access";
import type { ActivityCommon } from "./classify-activity";
import type { ProjectRef } from "./command-grammar";
import type { BotContext } from "./context";

export async function followCommand(ctx: BotContext, a: ActivityCommon, ref: ProjectRef, follow: boolean): Promise<Answer> {
  const caller = await personalCaller(ctx, a);
  if (!caller.ok) return caller;
  const match = await matchProject(ctx, caller.organizationIds, ref, follow ? "subscribe" : "unsubscribe");
  if (!match.ok) return match;
  const project = match.project;
  if (follow) {
    const added = await followProject(ctx.db, caller.userId, project.id, ctx.now());
    const settings = (await getNotificationSettings(ctx.db, caller.userId)) ?? DEFAULT_NOTIFICATION_SETTINGS;
    return {
      card: buildActionResultCard({
        tone: "success",
        title: added ? `You follow ${project.slug}` : `You already follow ${project.slug}`,
        text: settings.followedNew
          ? `New issues in ${project.slug} come to this chat.`
          : `New issues in ${project.slug} will come to this chat once you turn on “New issues in projects I follow” (type notifications).`,
      }),
      summary: `You follow ${project.slug}`,
    };
  }
  const removed = await unfollowProject(ctx.db, caller.userId, project.id);
  return {
    card: buildActionResultCard({
      tone: removed ? "success" : "info",
      text: removed ? `You no longer follow ${project.slug}.` : `You don't follow ${project.slug}: nothing to stop.`,
    }),
    summary: removed ? `Unfollowed ${project.slug}` : `Not following ${project.slug}`,
  };
}

export async function notificationsCommand(ctx: BotContext, a: ActivityCommon, saved?: NotificationSettings): Promise<Answer> {
  const caller = await personalCaller(ctx, a);
  if (!caller.ok) return caller;
  if (saved) await saveNotificationSettings(ctx.db, caller.userId, saved, ctx.now());
  const settings = (await getNotificationSettings(ctx.db, caller.userId)) ?? DEFAULT_NOTIFICATION_SETTINGS;
  const followed = (await followedProjects(ctx.db, caller.userId)).map((p) => p.slug);
  return { card: buildNotificationsCard({ settings, followed, saved: !!saved }), summary: saved ? "Notification settings saved" : "Your notification settings" };
}
