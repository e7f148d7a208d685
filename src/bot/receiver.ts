/**
 * The inbound pipeline for POST /api/messages, as one function (like bolt-js's verify-request): configuration,
 * size, token, body, binding, shape. Answers via thrown AppErrors, which app.onError turns into JSON.
 *
 * Order matters: the token is verified (signature, issuer, audience, time, serviceurl claim present) before
 * the body is read, so an unauthenticated caller gets 401 whatever it sends; the body is then parsed only to
 * bind the token to it (endorsed channel, same serviceUrl) and check its shape.
 */
import type { Env } from "../env";
import { MalformedBodyError, PayloadTooLargeError, ValidationError } from "../errors";
import { readBodyText } from "../http/json-body";
import type { Activity } from "./activity-types";
import { botConfig } from "./bot-config";
import type { OpenIdKeyDeps } from "./openid-keys";
import { checkActivityBinding, verifyBotTokenAlone, type VerifiedBotToken } from "./verify-bot-token";

/** Largest activity accepted (Teams' own messages are far smaller; cards stay under ~100 KB). */
export const MAX_ACTIVITY_BYTES = 256 * 1024;

export type ReceivedActivity = { activity: Activity; token: VerifiedBotToken };

/** Verifies and parses an inbound Bot Framework request; throws 503/413/401/400 AppErrors. */
export async function receiveActivity(request: Request, env: Env, deps: OpenIdKeyDeps = {}): Promise<ReceivedActivity> {
  const config = botConfig(env);

  // Refuse an announced oversize body before spending a signature check on it.
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_ACTIVITY_BYTES) {
    throw new PayloadTooLargeError(`The body is larger than ${MAX_ACTIVITY_BYTES / 1024} KB.`);
  }

  const token = await verifyBotTokenAlone(
    request.headers.get("authorization"),
    { appId: config.appId, openIdMetadataUrl: config.openIdMetadataUrl },
    { kv: env.CACHE, ...deps },
  );

  // readBodyText enforces the limit on the bytes actually received too (Content-Length can lie or be absent).
  const text = await readBodyText(request, MAX_ACTIVITY_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new MalformedBodyError("The body is not valid JSON.");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new MalformedBodyError("The body must be a JSON object (a Bot Framework activity).");
  }
  const activity = body as Record<string, unknown>;

  checkActivityBinding(token, activity);

  if (typeof activity.type !== "string" || activity.type.length === 0) {
    throw new ValidationError("type: expected a non-empty string (the activity type).");
  }
  return { activity: activity as Activity, token };
}
