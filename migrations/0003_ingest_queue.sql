CREATE TABLE `event_ids` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` integer NOT NULL,
	`group_id` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`received_at` integer NOT NULL,
	`release` text,
	`environment` text,
	`batch_token` text NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `event_ids_group_time_idx` ON `event_ids` (`group_id`,`timestamp`);--> statement-breakpoint
CREATE INDEX `event_ids_batch_idx` ON `event_ids` (`batch_token`);--> statement-breakpoint
CREATE INDEX `event_ids_received_idx` ON `event_ids` (`received_at`);--> statement-breakpoint
CREATE TABLE `dropped_events` (
	`project_id` integer NOT NULL,
	`reason` text NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`project_id`, `reason`, `window_start`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `ingest_dead_letters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer,
	`event_id` text,
	`reason` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `notification_messages` ADD `counts_refreshed_at` integer;
