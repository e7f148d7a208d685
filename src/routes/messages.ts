import { Hono } from "hono";
import type { AppEnv } from "../app";

/** POST /api/messages — the Bot Framework messaging endpoint (built by the transport work). */
export const messagesRoutes = new Hono<AppEnv>();
