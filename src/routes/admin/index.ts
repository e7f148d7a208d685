import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { requireAdminToken } from "../../auth/admin-token";
import { doctorRoutes } from "./doctor";
import { ingestAdminRoutes } from "./ingest";
import { issueAdminRoutes } from "./issues";
import { organizationRoutes } from "./organizations";
import { projectRoutes } from "./projects";
import { releaseRoutes } from "./releases";
import { ruleRoutes } from "./rules";
import { teamRoutes } from "./teams";
import { userRoutes } from "./users";

/** /api/admin — everything an operator needs; Bearer ADMIN_TOKEN on every route (including unknown ones). */
export const adminRoutes = new Hono<AppEnv>();

adminRoutes.use("*", requireAdminToken);
adminRoutes.route("/", organizationRoutes);
adminRoutes.route("/", userRoutes);
adminRoutes.route("/", teamRoutes);
adminRoutes.route("/", projectRoutes);
adminRoutes.route("/", releaseRoutes);
adminRoutes.route("/", issueAdminRoutes);
adminRoutes.route("/", ruleRoutes);
adminRoutes.route("/", doctorRoutes);
adminRoutes.route("/", ingestAdminRoutes);
