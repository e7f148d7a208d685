/**
 * The Bot Framework Activity as it travels on the wire (only the fields this bot reads or writes).
 * Everything in an inbound activity is untrusted until the request's token has been verified; even then the
 * shapes below are what Microsoft promises, not what we checked, so handlers still parse what they use.
 * Reference: docs/bot-transport.md ("Activities Teams sends", "Connector REST API").
 */

export type ActivityType =
  | "message"
  | "conversationUpdate"
  | "installationUpdate"
  | "invoke"
  | "messageReaction"
  | "messageUpdate"
  | "messageDelete"
  | "typing"
  | "event"
  | "endOfConversation";

export type ChannelAccount = {
  /** "29:..." for users, "28:<appId>" for the bot. */
  id: string;
  name?: string;
  aadObjectId?: string;
  role?: "user" | "bot";
};

/** A member as the Teams roster APIs return it. */
export type TeamsChannelAccount = ChannelAccount & {
  email?: string;
  userPrincipalName?: string;
  givenName?: string;
  surname?: string;
  tenantId?: string;
  userRole?: string;
};

export type ConversationAccount = {
  id: string;
  name?: string;
  conversationType?: "personal" | "groupChat" | "channel" | string;
  tenantId?: string;
  isGroup?: boolean;
};

export type TeamsChannelData = {
  tenant?: { id: string };
  team?: { id: string; name?: string; aadGroupId?: string };
  channel?: { id: string; name?: string };
  /** teamMemberAdded, teamMemberRemoved, teamRenamed, channelCreated, ... */
  eventType?: string;
  notification?: { alert?: boolean };
  [key: string]: unknown;
};

export type Entity = { type: string; [key: string]: unknown };

export type Mention = Entity & { type: "mention"; mentioned: ChannelAccount; text?: string };

export type Attachment = {
  contentType: string;
  content?: unknown;
  contentUrl?: string;
  name?: string;
};

export type Activity = {
  type: ActivityType | string;
  id?: string;
  /** ISO-8601. */
  timestamp?: string;
  localTimestamp?: string;
  serviceUrl?: string;
  /** "msteams" for Teams. */
  channelId?: string;
  from?: ChannelAccount;
  recipient?: ChannelAccount;
  conversation?: ConversationAccount;
  channelData?: TeamsChannelData;
  text?: string;
  textFormat?: "plain" | "markdown" | "xml";
  summary?: string;
  locale?: string;
  attachments?: Attachment[];
  attachmentLayout?: "list" | "carousel";
  /** Action.Submit data merged with the card's inputs; the invoke payload for invokes. */
  value?: unknown;
  /** Invoke name, e.g. "adaptiveCard/action". */
  name?: string;
  /** The id of the message this one replies to (for a card submit: the message holding the card). */
  replyToId?: string;
  entities?: Entity[];
  membersAdded?: ChannelAccount[];
  membersRemoved?: ChannelAccount[];
  /** installationUpdate: add | remove | add-upgrade | remove-upgrade. */
  action?: string;
};

/** What the Connector answers for a created or updated activity. */
export type ResourceResponse = { id: string };

/** POST v3/conversations body. */
export type ConversationParameters = {
  isGroup?: boolean;
  bot?: ChannelAccount;
  members?: ChannelAccount[];
  topicName?: string;
  tenantId?: string;
  activity?: Partial<Activity>;
  channelData?: TeamsChannelData;
};

/** POST v3/conversations answer: `activityId` is set when an initial activity was posted. */
export type ConversationResourceResponse = { id: string; activityId?: string; serviceUrl?: string };

export type TeamDetails = { id: string; name?: string; aadGroupId?: string };

/** A channel of a team; the General channel has `name` null and the team's id. */
export type ChannelInfo = { id: string; name?: string | null };

export type PagedMembersResult = { members: TeamsChannelAccount[]; continuationToken?: string };

/**
 * The only channel this bot serves. Bot Framework keys are endorsed for other channels too (Web Chat and Direct Line
 * are on by default for an Azure Bot), where the client chooses `from.id` and `channelData` itself.
 */
export const TEAMS_CHANNEL_ID = "msteams";
