ALTER TABLE `integrations` ADD `install_generation` integer DEFAULT 1 NOT NULL;
