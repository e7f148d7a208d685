import { Hono } from "hono";
import type { AppEnv } from "../app";

/** Sentry SDK endpoints: POST /api/:projectId/envelope/ and /api/:projectId/store/. */
export const sentryRoutes = new Hono<AppEnv>();
