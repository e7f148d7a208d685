CREATE INDEX `groups_status_idx` ON `groups` (`status`);--> statement-breakpoint
CREATE INDEX `integrations_tenant_status_idx` ON `integrations` (`tenant_id`,`status`);