/**
 * What the signed links carry (the `d` claim of src/signing.ts), one type per purpose, and the one total parser for
 * each. The signature only proves that we wrote the payload at some point, not that it has the shape today's code
 * expects (a payload from an older build, a bug in a signer): everything past `parseSetupLinkData` /
 * `parseLinkData` uses the typed record, and anything else is refused like a link that does not verify.
 */

/** A setup link: the pending installation it connects, and which install of the app it was made for. */
export type SetupLinkData = {
  integrationId: number;
  /** The integration's install generation when the welcome card was sent (see integrations.installGeneration). */
  generation: number;
};

/** A link / unlink link: who in Teams, where to answer them. */
export type LinkData = {
  tenantId: string;
  teamsUserId: string;
  aadObjectId: string | null;
  /** Integrations to link in (empty: every active one of the tenant whose organization has the user). */
  integrationIds: number[];
  conversationId: string;
  serviceUrl: string;
};

/** At most this many integrations travel in a link (as many as identitiesOfTeamsUser reads for an unlink link). */
export const MAX_LINK_INTEGRATIONS = 100;
const MAX_ID_LENGTH = 512;

export function parseSetupLinkData(data: unknown): SetupLinkData | null {
  if (!isRecord(data)) return null;
  const integrationId = positiveInt(own(data, "integrationId"));
  const generation = positiveInt(own(data, "generation"));
  return integrationId === null || generation === null ? null : { integrationId, generation };
}

export function parseLinkData(data: unknown): LinkData | null {
  if (!isRecord(data)) return null;
  const tenantId = id(own(data, "tenantId"));
  const teamsUserId = id(own(data, "teamsUserId"));
  const conversationId = id(own(data, "conversationId"));
  const serviceUrl = httpUrl(own(data, "serviceUrl"));
  const rawAad = own(data, "aadObjectId");
  const aadObjectId = rawAad === null || rawAad === undefined ? null : id(rawAad);
  const integrationIds = positiveInts(own(data, "integrationIds"));
  if (!tenantId || !teamsUserId || !conversationId || !serviceUrl || integrationIds === null) return null;
  if (rawAad !== null && rawAad !== undefined && aadObjectId === null) return null;
  return { tenantId, teamsUserId, aadObjectId, integrationIds, conversationId, serviceUrl };
}

function id(raw: unknown): string | null {
  return typeof raw === "string" && raw.length > 0 && raw.length <= MAX_ID_LENGTH ? raw : null;
}

function positiveInt(raw: unknown): number | null {
  return typeof raw === "number" && Number.isSafeInteger(raw) && raw > 0 ? raw : null;
}

function positiveInts(raw: unknown): number[] | null {
  if (!Array.isArray(raw) || raw.length > MAX_LINK_INTEGRATIONS) return null;
  const ids: number[] = [];
  for (const item of raw) {
    const n = positiveInt(item);
    if (n === null) return null;
    ids.push(n);
  }
  return ids;
}

/** An http(s) URL (the Connector's serviceUrl; http only for the local stand-in). */
function httpUrl(raw: unknown): string | null {
  if (typeof raw !== "string" || raw.length > 2048) return null;
  try {
    const { protocol } = new URL(raw);
    return protocol === "https:" || protocol === "http:" ? raw : null;
  } catch {
    return null;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Own properties only: a crafted payload cannot make us read something off a prototype. */
function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}
