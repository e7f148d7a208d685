-- One name per concept: Sentry's "group" is an issue everywhere (tables, columns, indexes), and the
-- organization's teams are org_teams ("teams" alone read as Microsoft Teams). Renames keep every row.
ALTER TABLE `groups` RENAME TO `issues`;
--> statement-breakpoint
ALTER TABLE `group_users` RENAME TO `issue_users`;
--> statement-breakpoint
ALTER TABLE `group_assignees` RENAME TO `issue_assignees`;
--> statement-breakpoint
ALTER TABLE `group_activity` RENAME TO `issue_activity`;
--> statement-breakpoint
ALTER TABLE `teams` RENAME TO `org_teams`;
--> statement-breakpoint
ALTER TABLE `team_members` RENAME TO `org_team_members`;
--> statement-breakpoint
ALTER TABLE `deliveries` RENAME COLUMN `group_id` TO `issue_id`;
--> statement-breakpoint
ALTER TABLE `event_ids` RENAME COLUMN `group_id` TO `issue_id`;
--> statement-breakpoint
ALTER TABLE `events` RENAME COLUMN `group_id` TO `issue_id`;
--> statement-breakpoint
ALTER TABLE `issue_activity` RENAME COLUMN `group_id` TO `issue_id`;
--> statement-breakpoint
ALTER TABLE `issue_assignees` RENAME COLUMN `group_id` TO `issue_id`;
--> statement-breakpoint
ALTER TABLE `issue_users` RENAME COLUMN `group_id` TO `issue_id`;
--> statement-breakpoint
ALTER TABLE `notification_messages` RENAME COLUMN `group_id` TO `issue_id`;
--> statement-breakpoint
ALTER TABLE `rule_fires` RENAME COLUMN `group_id` TO `issue_id`;
--> statement-breakpoint
DROP INDEX `deliveries_group_idx`;
--> statement-breakpoint
CREATE INDEX `deliveries_issue_idx` ON `deliveries` (`issue_id`);
--> statement-breakpoint
DROP INDEX `event_ids_group_time_idx`;
--> statement-breakpoint
CREATE INDEX `event_ids_issue_time_idx` ON `event_ids` (`issue_id`,`timestamp`);
--> statement-breakpoint
DROP INDEX `events_group_time_idx`;
--> statement-breakpoint
CREATE INDEX `events_issue_time_idx` ON `events` (`issue_id`,`timestamp`);
--> statement-breakpoint
DROP INDEX `group_activity_group_idx`;
--> statement-breakpoint
CREATE INDEX `issue_activity_issue_idx` ON `issue_activity` (`issue_id`,`id`);
--> statement-breakpoint
DROP INDEX `group_assignees_team_idx`;
--> statement-breakpoint
CREATE INDEX `issue_assignees_team_idx` ON `issue_assignees` (`team_id`);
--> statement-breakpoint
DROP INDEX `group_assignees_user_idx`;
--> statement-breakpoint
CREATE INDEX `issue_assignees_user_idx` ON `issue_assignees` (`user_id`);
--> statement-breakpoint
DROP INDEX `groups_project_fingerprint_uq`;
--> statement-breakpoint
CREATE UNIQUE INDEX `issues_project_fingerprint_uq` ON `issues` (`project_id`,`fingerprint_hash`);
--> statement-breakpoint
DROP INDEX `groups_project_last_seen_idx`;
--> statement-breakpoint
CREATE INDEX `issues_project_last_seen_idx` ON `issues` (`project_id`,`last_seen`);
--> statement-breakpoint
DROP INDEX `groups_project_short_id_uq`;
--> statement-breakpoint
CREATE UNIQUE INDEX `issues_project_short_id_uq` ON `issues` (`project_id`,`short_id`);
--> statement-breakpoint
DROP INDEX `groups_project_status_last_seen_idx`;
--> statement-breakpoint
CREATE INDEX `issues_project_status_last_seen_idx` ON `issues` (`project_id`,`status`,`last_seen`);
--> statement-breakpoint
DROP INDEX `groups_status_idx`;
--> statement-breakpoint
CREATE INDEX `issues_status_idx` ON `issues` (`status`);
--> statement-breakpoint
DROP INDEX `notification_messages_group_idx`;
--> statement-breakpoint
CREATE INDEX `notification_messages_issue_idx` ON `notification_messages` (`issue_id`);
--> statement-breakpoint
DROP INDEX `team_members_user_idx`;
--> statement-breakpoint
CREATE INDEX `org_team_members_user_idx` ON `org_team_members` (`user_id`);
--> statement-breakpoint
DROP INDEX `teams_org_slug_uq`;
--> statement-breakpoint
CREATE UNIQUE INDEX `org_teams_org_slug_uq` ON `org_teams` (`organization_id`,`slug`);
