/**
 * The web links cards point at. The paths are part of our public surface (documented in docs/cards.md):
 * - issues: `${baseUrl}/organizations/${orgSlug}/issues/`
 * - issue: `${baseUrl}/organizations/${orgSlug}/issues/${issueId}/`
 * - rule:  `${baseUrl}/organizations/${orgSlug}/alerts/rules/${projectSlug}/${ruleId}/details/`
 * Slugs are percent-encoded; ids are integers.
 */
import { safeUrl } from "./escape";

/** `baseUrl` (PUBLIC_BASE_URL) checked to be absolute http(s), without trailing slashes. */
export function normalizeBaseUrl(baseUrl: string): string {
  safeUrl(baseUrl);
  return baseUrl.trim().replace(/\/+$/, "");
}

export function organizationIssuesUrl(baseUrl: string, organizationSlug: string): string {
  return `${normalizeBaseUrl(baseUrl)}/organizations/${encodeURIComponent(organizationSlug)}/issues/`;
}

export function issueUrl(baseUrl: string, organizationSlug: string, issueId: number): string {
  return `${normalizeBaseUrl(baseUrl)}/organizations/${encodeURIComponent(organizationSlug)}/issues/${integerSegment(issueId)}/`;
}

export function ruleUrl(baseUrl: string, organizationSlug: string, projectSlug: string, ruleId: number): string {
  return (
    `${normalizeBaseUrl(baseUrl)}/organizations/${encodeURIComponent(organizationSlug)}` +
    `/alerts/rules/${encodeURIComponent(projectSlug)}/${integerSegment(ruleId)}/details/`
  );
}

function integerSegment(id: number): string {
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError("link id must be a non-negative integer");
  return String(id);
}
