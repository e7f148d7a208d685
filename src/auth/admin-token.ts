import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { NotConfiguredError, UnauthorizedError } from "../errors";
import { bearerToken, timingSafeEqual } from "../http/bearer";

/**
 * Guards /api/admin: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. An unset token is a
 * deployment mistake, not a caller's: 503 with how to fix it, whatever the request carries.
 */
export const requireAdminToken: MiddlewareHandler<AppEnv> = async (c, next) => {
  const expected = c.env.ADMIN_TOKEN?.trim();
  if (!expected) {
    throw new NotConfiguredError(
      "ADMIN_TOKEN is not set. Locally, `npm start` writes one to .dev.vars; in production run `wrangler secret put ADMIN_TOKEN`.",
    );
  }
  const header = c.req.header("authorization");
  const given = bearerToken(header);
  if (given === null) {
    throw challenge(
      new UnauthorizedError(
        header ? "The Authorization header must be `Bearer <ADMIN_TOKEN>`." : "Missing `Authorization: Bearer <ADMIN_TOKEN>`.",
        "missing_token",
      ),
    );
  }
  if (!timingSafeEqual(given, expected)) throw challenge(new UnauthorizedError("Invalid admin token.", "invalid_token"));
  await next();
};

function challenge(err: UnauthorizedError): UnauthorizedError {
  err.headers = { "WWW-Authenticate": 'Bearer realm="admin"' };
  return err;
}
