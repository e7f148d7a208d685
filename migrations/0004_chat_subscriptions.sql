ALTER TABLE `organizations` ADD `members_can_subscribe_channels` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `alert_rules` ADD `created_by_user_id` integer REFERENCES users(id);--> statement-breakpoint
ALTER TABLE `alert_rules` ADD `created_via` text DEFAULT 'api' NOT NULL;--> statement-breakpoint
CREATE INDEX `alert_rules_conversation_idx` ON `alert_rules` (`integration_id`,`conversation_id`);--> statement-breakpoint
CREATE TABLE `notification_settings` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`resolved_regressed` integer DEFAULT true NOT NULL,
	`followed_new` integer DEFAULT true NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `project_follows` (
	`user_id` integer NOT NULL,
	`project_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `project_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `project_follows_project_idx` ON `project_follows` (`project_id`);
