/**
 * The whole data model, in one drizzle schema. Migrations in `migrations/` are generated from this file
 * with `npm run db:generate` (drizzle-kit) and committed.
 *
 * Conventions: integer primary keys; times are unix epoch milliseconds (integer); JSON columns are
 * text with drizzle's `mode: "json"`.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const organizations = sqliteTable("organizations", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  slug: text("slug").notNull().unique(),
  /** When on, a Teams member whose email equals an org user's email is linked without the link page. */
  autoLinkByEmail: integer("auto_link_by_email", { mode: "boolean" }).notNull().default(false),
  /** When on, members (not only admins) may subscribe a Teams channel to a project from the chat. */
  membersCanSubscribeChannels: integer("members_can_subscribe_channels", { mode: "boolean" }).notNull().default(false),
  /**
   * When on, a person signing in to the web app from a tenant with an active installation connected to this
   * organization joins it as a member on first sign-in (off: an admin adds people first).
   */
  tenantMembersMayJoin: integer("tenant_members_may_join", { mode: "boolean" }).notNull().default(false),
  createdAt: integer("created_at").notNull(),
});

export const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  email: text("email").notNull().unique(),
  name: text("name").notNull().default(""),
  /** Personal 1:1 Teams card when an issue is assigned to this user. */
  notifyOnAssign: integer("notify_on_assign", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at").notNull(),
});

export const memberships = sqliteTable(
  "memberships",
  {
    organizationId: integer("organization_id").notNull().references(() => organizations.id),
    userId: integer("user_id").notNull().references(() => users.id),
    role: text("role", { enum: ["member", "admin"] }).notNull().default("member"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.userId] }), index("memberships_user_idx").on(t.userId)],
);

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id").notNull().references(() => users.id),
    name: text("name").notNull().default(""),
    /** SHA-256 hex of the token; the token itself is shown once, at creation. */
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("api_tokens_user_idx").on(t.userId)],
);

export const orgTeams = sqliteTable(
  "org_teams",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    organizationId: integer("organization_id").notNull().references(() => organizations.id),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("org_teams_org_slug_uq").on(t.organizationId, t.slug)],
);

export const orgTeamMembers = sqliteTable(
  "org_team_members",
  {
    teamId: integer("team_id").notNull().references(() => orgTeams.id),
    userId: integer("user_id").notNull().references(() => users.id),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index("org_team_members_user_idx").on(t.userId)],
);

export const projects = sqliteTable(
  "projects",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    organizationId: integer("organization_id").notNull().references(() => organizations.id),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    /** Short ids read `<PREFIX>-<base36 counter>`, e.g. `API-1A`. */
    shortIdPrefix: text("short_id_prefix").notNull(),
    nextShortId: integer("next_short_id").notNull().default(1),
    /** Events accepted per minute on the Sentry endpoints before 429. */
    rateLimitPerMinute: integer("rate_limit_per_minute").notNull().default(1000),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("projects_org_slug_uq").on(t.organizationId, t.slug)],
);

export const projectKeys = sqliteTable(
  "project_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id").notNull().references(() => projects.id),
    /** The ingest key (also the DSN public key). Public by design, like Sentry's DSN key. */
    publicKey: text("public_key").notNull().unique(),
    label: text("label").notNull().default("default"),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("project_keys_project_idx").on(t.projectId)],
);

export const releases = sqliteTable(
  "releases",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id").notNull().references(() => projects.id),
    version: text("version").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("releases_project_version_uq").on(t.projectId, t.version),
    index("releases_project_created_idx").on(t.projectId, t.createdAt),
  ],
);

export type IssueStatus = "unresolved" | "resolved" | "ignored";
export type IssueSubstatus = "new" | "ongoing" | "regressed" | "escalating";
export type IssueMetadata = { type?: string; value?: string; function?: string; filename?: string; message?: string };
/** How an issue was resolved. `release` is the release current at resolution (inNextRelease) or the one named. */
export type Resolution =
  | { kind: "immediate" }
  | { kind: "inRelease"; release: string }
  | { kind: "inNextRelease"; release: string | null; releaseCreatedAt: number | null };
/** Ignore conditions, with the baselines they are measured from. */
export type IgnoreConditions =
  | { kind: "forever" }
  | { kind: "count"; count: number; baseline: number }
  | { kind: "duration"; minutes: number; until: number }
  | { kind: "userCount"; count: number; baseline: number };

export const issues = sqliteTable(
  "issues",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id").notNull().references(() => projects.id),
    shortId: text("short_id").notNull(),
    title: text("title").notNull(),
    culprit: text("culprit").notNull().default(""),
    level: text("level").notNull().default("error"),
    type: text("type").notNull().default("error"),
    metadata: text("metadata", { mode: "json" }).$type<IssueMetadata>().notNull().default(sql`'{}'`),
    status: text("status").$type<IssueStatus>().notNull().default("unresolved"),
    substatus: text("substatus").$type<IssueSubstatus>().notNull().default("new"),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
    timesSeen: integer("times_seen").notNull().default(0),
    usersSeen: integer("users_seen").notNull().default(0),
    firstRelease: text("first_release"),
    lastRelease: text("last_release"),
    lastEnvironment: text("last_environment"),
    resolvedAt: integer("resolved_at"),
    resolution: text("resolution", { mode: "json" }).$type<Resolution | null>(),
    ignoreConditions: text("ignore_conditions", { mode: "json" }).$type<IgnoreConditions | null>(),
    /** Who made the last status change (for "Resolved by …" on cards); null = system. */
    statusChangedBy: integer("status_changed_by").references(() => users.id),
    statusChangedAt: integer("status_changed_at"),
    fingerprintHash: text("fingerprint_hash").notNull(),
    lastEventId: text("last_event_id"),
    /** Bumped on every write; guards concurrent read-modify-write of status (optimistic concurrency). */
    version: integer("version").notNull().default(0),
    /**
     * Random token of the batch that made the last guarded change: later statements of the same D1 batch
     * (audit row, assignee row) run only if the guarded update applied, by checking this token.
     */
    writeToken: text("write_token"),
  },
  (t) => [
    uniqueIndex("issues_project_fingerprint_uq").on(t.projectId, t.fingerprintHash),
    uniqueIndex("issues_project_short_id_uq").on(t.projectId, t.shortId),
    index("issues_project_status_last_seen_idx").on(t.projectId, t.status, t.lastSeen),
    index("issues_project_last_seen_idx").on(t.projectId, t.lastSeen),
    // The cron's scan for ignores that ran out reads only ignored issues.
    index("issues_status_idx").on(t.status),
  ],
);

/** Distinct users per issue, for users-seen counts and "until N more users" ignores. */
export const issueUsers = sqliteTable(
  "issue_users",
  {
    issueId: integer("issue_id").notNull().references(() => issues.id),
    userKey: text("user_key").notNull(),
    firstSeen: integer("first_seen").notNull(),
  },
  (t) => [primaryKey({ columns: [t.issueId, t.userKey] })],
);

export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    projectId: integer("project_id").notNull().references(() => projects.id),
    issueId: integer("issue_id").notNull().references(() => issues.id),
    timestamp: integer("timestamp").notNull(),
    receivedAt: integer("received_at").notNull(),
    release: text("release"),
    environment: text("environment"),
    level: text("level").notNull(),
    message: text("message").notNull().default(""),
    tags: text("tags", { mode: "json" }).$type<Record<string, string>>().notNull().default(sql`'{}'`),
    user: text("user", { mode: "json" }).$type<Record<string, string> | null>(),
    /** The normalised event, capped in size. */
    payload: text("payload", { mode: "json" }).$type<unknown>(),
  },
  (t) => [index("events_issue_time_idx").on(t.issueId, t.timestamp)],
);

export const issueAssignees = sqliteTable(
  "issue_assignees",
  {
    issueId: integer("issue_id").primaryKey().references(() => issues.id),
    userId: integer("user_id").references(() => users.id),
    teamId: integer("team_id").references(() => orgTeams.id),
    assignedBy: integer("assigned_by").references(() => users.id),
    assignedAt: integer("assigned_at").notNull(),
  },
  (t) => [index("issue_assignees_user_idx").on(t.userId), index("issue_assignees_team_idx").on(t.teamId)],
);

export type ActivitySource = "api" | "teams" | "web" | "ingest" | "system";
export const issueActivity = sqliteTable(
  "issue_activity",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    issueId: integer("issue_id").notNull().references(() => issues.id),
    type: text("type").notNull(),
    actorUserId: integer("actor_user_id").references(() => users.id),
    actorKind: text("actor_kind", { enum: ["user", "system", "api"] }).notNull(),
    source: text("source").$type<ActivitySource>().notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("issue_activity_issue_idx").on(t.issueId, t.id)],
);

export type IntegrationStatus = "pending" | "active" | "disabled";
export const integrations = sqliteTable(
  "integrations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    provider: text("provider").notNull().default("msteams"),
    tenantId: text("tenant_id").notNull(),
    /** Team id for a team install, tenant id for a personal (tenant) install. */
    externalId: text("external_id").notNull(),
    name: text("name").notNull().default(""),
    serviceUrl: text("service_url").notNull(),
    installationType: text("installation_type", { enum: ["team", "tenant"] }).notNull(),
    status: text("status").$type<IntegrationStatus>().notNull().default("pending"),
    organizationId: integer("organization_id").references(() => organizations.id),
    installedBy: text("installed_by"),
    /**
     * Counts the installs of this row: each time the app is added again after a removal, it goes up by one. A
     * setup link carries the generation it was made for, so a link from an earlier install cannot bind the team.
     */
    installGeneration: integer("install_generation").notNull().default(1),
    /** Why the integration was disabled or last failed, for the doctor. */
    statusReason: text("status_reason"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("integrations_provider_external_uq").on(t.provider, t.externalId),
    index("integrations_org_idx").on(t.organizationId),
    index("integrations_tenant_status_idx").on(t.tenantId, t.status),
  ],
);

export const identities = sqliteTable(
  "identities",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    integrationId: integer("integration_id").notNull().references(() => integrations.id),
    tenantId: text("tenant_id").notNull(),
    teamsUserId: text("teams_user_id").notNull(),
    aadObjectId: text("aad_object_id"),
    userId: integer("user_id").notNull().references(() => users.id),
    linkedAt: integer("linked_at").notNull(),
  },
  (t) => [
    uniqueIndex("identities_integration_teams_user_uq").on(t.integrationId, t.teamsUserId),
    index("identities_user_idx").on(t.userId),
    index("identities_tenant_teams_user_idx").on(t.tenantId, t.teamsUserId),
  ],
);

export type RuleConditions = {
  newIssue?: boolean;
  regression?: boolean;
  escalation?: boolean;
  frequency?: { count: number; windowMinutes: number };
};
export type RuleFilters = { levelAtLeast?: string; environment?: string; tags?: Record<string, string> };
export const alertRules = sqliteTable(
  "alert_rules",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id").notNull().references(() => projects.id),
    name: text("name").notNull(),
    conditions: text("conditions", { mode: "json" }).$type<RuleConditions>().notNull(),
    filters: text("filters", { mode: "json" }).$type<RuleFilters>().notNull().default(sql`'{}'`),
    integrationId: integer("integration_id").notNull().references(() => integrations.id),
    targetName: text("target_name").notNull(),
    targetType: text("target_type", { enum: ["channel", "user"] }).notNull(),
    conversationId: text("conversation_id").notNull(),
    frequencyMinutes: integer("frequency_minutes").notNull().default(30),
    /** active | disabled (by an admin, or a terminal delivery error; the reason is kept) | deleted. */
    status: text("status", { enum: ["active", "disabled", "deleted"] }).notNull().default("active"),
    statusReason: text("status_reason"),
    createdAt: integer("created_at").notNull(),
    /** Who created the rule (null: the admin token, or before this was recorded). */
    createdByUserId: integer("created_by_user_id").references(() => users.id),
    /** Where it was created: the admin API, a `subscribe` command in a Teams channel, or the web app. */
    createdVia: text("created_via").$type<RuleOrigin>().notNull().default("api"),
  },
  (t) => [index("alert_rules_project_idx").on(t.projectId), index("alert_rules_conversation_idx").on(t.integrationId, t.conversationId)],
);

export type RuleOrigin = "api" | "teams" | "web";

/**
 * Personal notification settings beyond `users.notifyOnAssign`: a card in the personal chat when an issue the user
 * resolved regresses, and for new issues in the projects they follow. No row = the defaults (both on).
 */
export const notificationSettings = sqliteTable("notification_settings", {
  userId: integer("user_id").primaryKey().references(() => users.id),
  resolvedRegressed: integer("resolved_regressed", { mode: "boolean" }).notNull().default(true),
  followedNew: integer("followed_new", { mode: "boolean" }).notNull().default(true),
  updatedAt: integer("updated_at").notNull(),
});

/** Projects a user follows (personal `subscribe <project>`): their new issues come to the user's personal chat. */
export const projectFollows = sqliteTable(
  "project_follows",
  {
    userId: integer("user_id").notNull().references(() => users.id),
    projectId: integer("project_id").notNull().references(() => projects.id),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.projectId] }), index("project_follows_project_idx").on(t.projectId)],
);

/** Last time a rule fired for an issue: enforces "at most one alert per rule per issue per frequency". */
export const ruleFires = sqliteTable(
  "rule_fires",
  {
    ruleId: integer("rule_id").notNull().references(() => alertRules.id),
    issueId: integer("issue_id").notNull().references(() => issues.id),
    lastFiredAt: integer("last_fired_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.issueId] })],
);

export const notificationMessages = sqliteTable(
  "notification_messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    issueId: integer("issue_id").notNull().references(() => issues.id),
    ruleId: integer("rule_id").references(() => alertRules.id),
    integrationId: integer("integration_id").notNull().references(() => integrations.id),
    /** personal notification to a user (assignment) rather than a rule's channel card. */
    userId: integer("user_id").references(() => users.id),
    conversationId: text("conversation_id").notNull(),
    activityId: text("activity_id").notNull(),
    serviceUrl: text("service_url").notNull(),
    postedAt: integer("posted_at").notNull(),
    /** When ingest last queued a refresh of this card's counts (at most one per card per CARD_REFRESH_INTERVAL_MS). */
    countsRefreshedAt: integer("counts_refreshed_at"),
  },
  (t) => [
    index("notification_messages_issue_idx").on(t.issueId),
    uniqueIndex("notification_messages_conv_activity_uq").on(t.conversationId, t.activityId),
  ],
);

export type DeliveryKind = "post" | "update" | "reply" | "personal";
export type DeliveryStatus = "queued" | "delivered" | "retrying" | "dead";
export const deliveries = sqliteTable(
  "deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind").$type<DeliveryKind>().notNull(),
    issueId: integer("issue_id").references(() => issues.id),
    ruleId: integer("rule_id").references(() => alertRules.id),
    integrationId: integer("integration_id").references(() => integrations.id),
    conversationId: text("conversation_id"),
    status: text("status").$type<DeliveryStatus>().notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("deliveries_status_idx").on(t.status, t.id),
    index("deliveries_issue_idx").on(t.issueId),
    index("deliveries_conversation_idx").on(t.conversationId, t.status, t.id),
  ],
);

/** Inbound activity ids already handled: the same activity delivered twice is processed once. */
export const processedActivities = sqliteTable("processed_activities", {
  key: text("key").primaryKey(),
  receivedAt: integer("received_at").notNull(),
});

/** Single-use signed links (link / unlink / setup): the nonce is recorded when used. */
export const usedNonces = sqliteTable("used_nonces", {
  nonce: text("nonce").primaryKey(),
  usedAt: integer("used_at").notNull(),
});

/** Fixed-window counters (per project per minute, ...): one upsert per check, exact across isolates. */
export const rateLimitWindows = sqliteTable(
  "rate_limit_windows",
  {
    key: text("key").notNull(),
    windowStart: integer("window_start").notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
);

/**
 * Every accepted event, small (no payload): the idempotency record (an event id is counted once, whatever the
 * queue redelivers), the source of frequency-rule counts, and the bridge from an ingest batch to what it counted
 * (`batch_token`). Full events are sampled into `events`. Pruned by the cron after EVENT_IDS_RETENTION_MS.
 */
export const eventIds = sqliteTable(
  "event_ids",
  {
    id: text("id").primaryKey(),
    projectId: integer("project_id").notNull().references(() => projects.id),
    issueId: integer("issue_id").notNull().references(() => issues.id),
    timestamp: integer("timestamp").notNull(),
    receivedAt: integer("received_at").notNull(),
    release: text("release"),
    environment: text("environment"),
    batchToken: text("batch_token").notNull(),
  },
  (t) => [
    index("event_ids_issue_time_idx").on(t.issueId, t.timestamp),
    index("event_ids_batch_idx").on(t.batchToken),
    index("event_ids_received_idx").on(t.receivedAt),
  ],
);

export type DropReason = "rate_limited";
/** Events refused before the queue, per project, reason and minute (Sentry's client outcomes, server side). */
export const droppedEvents = sqliteTable(
  "dropped_events",
  {
    projectId: integer("project_id").notNull().references(() => projects.id),
    reason: text("reason").$type<DropReason>().notNull(),
    windowStart: integer("window_start").notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.reason, t.windowStart] })],
);

/** Accepted events the consumer could not count (the queue's retries ran out): kept with the reason. */
export const ingestDeadLetters = sqliteTable("ingest_dead_letters", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  projectId: integer("project_id"),
  eventId: text("event_id"),
  reason: text("reason").notNull(),
  body: text("body").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** A Microsoft identity (tenant id, object id from the id_token's `tid`/`oid`) that signs in to the web app as a user. */
export const signInIdentities = sqliteTable(
  "sign_in_identities",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenantId: text("tenant_id").notNull(),
    objectId: text("object_id").notNull(),
    userId: integer("user_id").notNull().references(() => users.id),
    createdAt: integer("created_at").notNull(),
    lastSignInAt: integer("last_sign_in_at").notNull(),
  },
  (t) => [uniqueIndex("sign_in_identities_tenant_object_uq").on(t.tenantId, t.objectId), index("sign_in_identities_user_idx").on(t.userId)],
);

/** Web sessions: the cookie holds a random id, only its SHA-256 is stored; a row past `expiresAt` is dead. */
export const webSessions = sqliteTable(
  "web_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    userId: integer("user_id").notNull().references(() => users.id),
    /** Random per session; every state-changing form of the web app carries it. */
    csrfToken: text("csrf_token").notNull(),
    /** The Microsoft identity (tid, oid) this session signed in with: linking a Teams account compares it. */
    tenantId: text("tenant_id").notNull(),
    objectId: text("object_id").notNull(),
    userAgent: text("user_agent").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("web_sessions_user_idx").on(t.userId), index("web_sessions_expires_idx").on(t.expiresAt)],
);

/** The one-time "claim this instance" step of a fresh deployment (at most one row: id = 1). */
export const instanceClaims = sqliteTable("instance_claims", {
  id: integer("id").primaryKey(),
  userId: integer("user_id").notNull().references(() => users.id),
  claimedAt: integer("claimed_at").notNull(),
});

/**
 * Invitations by email (web app, People page): the person becomes a member with `role` when they sign in with that
 * address from a Microsoft tenant where the organization's Teams app is connected, before `expiresAt`. Accepted
 * invitations are deleted (the membership is the record).
 */
export const invitations = sqliteTable(
  "invitations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    organizationId: integer("organization_id").notNull().references(() => organizations.id),
    /** Lower-case, like users.email. */
    email: text("email").notNull(),
    role: text("role", { enum: ["member", "admin"] }).notNull().default("member"),
    invitedByUserId: integer("invited_by_user_id").references(() => users.id),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [uniqueIndex("invitations_org_email_uq").on(t.organizationId, t.email), index("invitations_email_idx").on(t.email)],
);
