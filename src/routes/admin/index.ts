import { Hono } from "hono";
import type { AppEnv } from "../../app";

/** /api/admin — everything an operator needs; Bearer ADMIN_TOKEN. */
export const adminRoutes = new Hono<AppEnv>();
