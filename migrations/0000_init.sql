CREATE TABLE `alert_rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`name` text NOT NULL,
	`conditions` text NOT NULL,
	`filters` text DEFAULT '{}' NOT NULL,
	`integration_id` integer NOT NULL,
	`target_name` text NOT NULL,
	`target_type` text NOT NULL,
	`conversation_id` text NOT NULL,
	`frequency_minutes` integer DEFAULT 30 NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`status_reason` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `alert_rules_project_idx` ON `alert_rules` (`project_id`);--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_user_idx` ON `api_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`group_id` integer,
	`rule_id` integer,
	`integration_id` integer,
	`conversation_id` text,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`data` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`rule_id`) REFERENCES `alert_rules`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `deliveries_status_idx` ON `deliveries` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `deliveries_group_idx` ON `deliveries` (`group_id`);--> statement-breakpoint
CREATE INDEX `deliveries_conversation_idx` ON `deliveries` (`conversation_id`,`status`,`id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` integer NOT NULL,
	`group_id` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`received_at` integer NOT NULL,
	`release` text,
	`environment` text,
	`level` text NOT NULL,
	`message` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '{}' NOT NULL,
	`user` text,
	`payload` text,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `events_group_time_idx` ON `events` (`group_id`,`timestamp`);--> statement-breakpoint
CREATE TABLE `group_activity` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`group_id` integer NOT NULL,
	`type` text NOT NULL,
	`actor_user_id` integer,
	`actor_kind` text NOT NULL,
	`source` text NOT NULL,
	`data` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`actor_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `group_activity_group_idx` ON `group_activity` (`group_id`,`id`);--> statement-breakpoint
CREATE TABLE `group_assignees` (
	`group_id` integer PRIMARY KEY NOT NULL,
	`user_id` integer,
	`team_id` integer,
	`assigned_by` integer,
	`assigned_at` integer NOT NULL,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assigned_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `group_assignees_user_idx` ON `group_assignees` (`user_id`);--> statement-breakpoint
CREATE INDEX `group_assignees_team_idx` ON `group_assignees` (`team_id`);--> statement-breakpoint
CREATE TABLE `group_users` (
	`group_id` integer NOT NULL,
	`user_key` text NOT NULL,
	`first_seen` integer NOT NULL,
	PRIMARY KEY(`group_id`, `user_key`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`short_id` text NOT NULL,
	`title` text NOT NULL,
	`culprit` text DEFAULT '' NOT NULL,
	`level` text DEFAULT 'error' NOT NULL,
	`type` text DEFAULT 'error' NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`status` text DEFAULT 'unresolved' NOT NULL,
	`substatus` text DEFAULT 'new' NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`times_seen` integer DEFAULT 0 NOT NULL,
	`users_seen` integer DEFAULT 0 NOT NULL,
	`first_release` text,
	`last_release` text,
	`last_environment` text,
	`resolved_at` integer,
	`resolution` text,
	`ignore_conditions` text,
	`status_changed_by` integer,
	`status_changed_at` integer,
	`fingerprint_hash` text NOT NULL,
	`last_event_id` text,
	`version` integer DEFAULT 0 NOT NULL,
	`write_token` text,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`status_changed_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `groups_project_fingerprint_uq` ON `groups` (`project_id`,`fingerprint_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `groups_project_short_id_uq` ON `groups` (`project_id`,`short_id`);--> statement-breakpoint
CREATE INDEX `groups_project_status_last_seen_idx` ON `groups` (`project_id`,`status`,`last_seen`);--> statement-breakpoint
CREATE INDEX `groups_project_last_seen_idx` ON `groups` (`project_id`,`last_seen`);--> statement-breakpoint
CREATE TABLE `identities` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`integration_id` integer NOT NULL,
	`tenant_id` text NOT NULL,
	`teams_user_id` text NOT NULL,
	`aad_object_id` text,
	`user_id` integer NOT NULL,
	`linked_at` integer NOT NULL,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `identities_integration_teams_user_uq` ON `identities` (`integration_id`,`teams_user_id`);--> statement-breakpoint
CREATE INDEX `identities_user_idx` ON `identities` (`user_id`);--> statement-breakpoint
CREATE INDEX `identities_tenant_teams_user_idx` ON `identities` (`tenant_id`,`teams_user_id`);--> statement-breakpoint
CREATE TABLE `integrations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`provider` text DEFAULT 'msteams' NOT NULL,
	`tenant_id` text NOT NULL,
	`external_id` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`service_url` text NOT NULL,
	`installation_type` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`organization_id` integer,
	`installed_by` text,
	`status_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `integrations_provider_external_uq` ON `integrations` (`provider`,`external_id`);--> statement-breakpoint
CREATE INDEX `integrations_org_idx` ON `integrations` (`organization_id`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`organization_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`role` text DEFAULT 'member' NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`organization_id`, `user_id`),
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `memberships_user_idx` ON `memberships` (`user_id`);--> statement-breakpoint
CREATE TABLE `notification_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`group_id` integer NOT NULL,
	`rule_id` integer,
	`integration_id` integer NOT NULL,
	`user_id` integer,
	`conversation_id` text NOT NULL,
	`activity_id` text NOT NULL,
	`service_url` text NOT NULL,
	`posted_at` integer NOT NULL,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`rule_id`) REFERENCES `alert_rules`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `notification_messages_group_idx` ON `notification_messages` (`group_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `notification_messages_conv_activity_uq` ON `notification_messages` (`conversation_id`,`activity_id`);--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`auto_link_by_email` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organizations_slug_unique` ON `organizations` (`slug`);--> statement-breakpoint
CREATE TABLE `processed_activities` (
	`key` text PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `project_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`public_key` text NOT NULL,
	`label` text DEFAULT 'default' NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `project_keys_public_key_unique` ON `project_keys` (`public_key`);--> statement-breakpoint
CREATE INDEX `project_keys_project_idx` ON `project_keys` (`project_id`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`organization_id` integer NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`short_id_prefix` text NOT NULL,
	`next_short_id` integer DEFAULT 1 NOT NULL,
	`rate_limit_per_minute` integer DEFAULT 1000 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_org_slug_uq` ON `projects` (`organization_id`,`slug`);--> statement-breakpoint
CREATE TABLE `rate_limit_windows` (
	`key` text NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`key`, `window_start`)
);
--> statement-breakpoint
CREATE TABLE `releases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`version` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `releases_project_version_uq` ON `releases` (`project_id`,`version`);--> statement-breakpoint
CREATE INDEX `releases_project_created_idx` ON `releases` (`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `rule_fires` (
	`rule_id` integer NOT NULL,
	`group_id` integer NOT NULL,
	`last_fired_at` integer NOT NULL,
	PRIMARY KEY(`rule_id`, `group_id`),
	FOREIGN KEY (`rule_id`) REFERENCES `alert_rules`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `team_members` (
	`team_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	PRIMARY KEY(`team_id`, `user_id`),
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `team_members_user_idx` ON `team_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `teams` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`organization_id` integer NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `teams_org_slug_uq` ON `teams` (`organization_id`,`slug`);--> statement-breakpoint
CREATE TABLE `used_nonces` (
	`nonce` text PRIMARY KEY NOT NULL,
	`used_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`notify_on_assign` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);