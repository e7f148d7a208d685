import { Hono } from "hono"; import type { AppEnv } from "../app"; export const ingestRoutes = new Hono<AppEnv>();
