/**
 * Fuzzing the other doors with fast-check: the ingest API's JSON events, Sentry envelopes (and the legacy store
 * endpoint), admin API bodies, and the payloads of signed setup / link / unlink links. Inputs are valid shapes mutated (fields removed, retyped, replaced by
 * arbitrary JSON), plus arbitrary JSON and bytes, always properly authenticated so the body is what is tested.
 *
 * Properties: never a 5xx; a refusal is a JSON `{error:{code,message}}`; a refused request leaves every table
 * exactly as it was (a fingerprint of all rows of every domain table, not just counts, so a half-applied
 * PATCH shows too); an input built valid is accepted.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { admin, ingest, installAndSetUp } from "../support/flows";
import { startMicrosoftStandIn, type MicrosoftStandIn } from "../support/microsoft-stand-in";
import { settleIngest } from "../support/ingest-settle";
import { seedOrg, type SeededOrg } from "../support/seed";
import { dispatch, newTeamsWorld, teamsUser } from "../support/teams";
import { paths } from "../support/json-paths";


/** Tables whose rows are bookkeeping a refused request may legitimately touch (dedupe keys, rate windows). */
const BOOKKEEPING = new Set(["processed_activities", "rate_limit_windows", "used_nonces", "d1_migrations", "dropped_events"]);
/** Append-only tables (large payloads): their count and highest rowid show any write. */
const APPEND_ONLY = new Set(["events", "event_ids", "ingest_dead_letters", "issue_activity", "issue_users", "deliveries", "rule_fires", "notification_messages"]);
let fingerprintStmts: D1PreparedStatement[] = [];

/** Every row of every domain table, as one string (the tables stay small: D1 is per test file). */
async function fingerprint(): Promise<string> {
  if (!fingerprintStmts.length) {
    const tables = await env.DB.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_cf_%'").all<{ name: string }>();
    for (const { name } of tables.results) {
      if (BOOKKEEPING.has(name)) continue;
      const cols = await env.DB.prepare(`select name from pragma_table_info('${name}')`).all<{ name: string }>();
      if (APPEND_ONLY.has(name)) {
        fingerprintStmts.push(env.DB.prepare(`select '${name}' t, count(*) n, max(rowid) v from "${name}"`));
        continue;
      }
      fingerprintStmts.push(env.DB.prepare(`select '${name}' t, count(*) n, group_concat(${cols.results.map((c) => `quote("${c.name}")`).join(" || ',' || ")}, ';') v from "${name}"`));
    }
  }
  const rows = await env.DB.batch(fingerprintStmts);
  return JSON.stringify(rows.map((r) => r.results[0]));
}

let ms: MicrosoftStandIn;
let s: SeededOrg;
let integrationId: number;
let issueId: number;
let quiet: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  newTeamsWorld();
  ms = await startMicrosoftStandIn();
  s = await seedOrg();
  integrationId = await installAndSetUp(ms, s, teamsUser("Ada", "ada@example.com"));
  issueId = (await ingest(s)).issueId;
  await env.DB.prepare("update projects set rate_limit_per_minute = 1000000 where id = ?").bind(s.project.id).run();
  quiet = vi.spyOn(console, "log").mockImplementation(() => {});
}, 30_000);
afterAll(() => {
  quiet.mockRestore();
  ms.stop();
});

const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constant("1 or 1=1"),
  fc.constant("__proto__"),
  fc.constant("x".repeat(5000)),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 3 }),
);


/** A valid object with one field removed or replaced, or a field added; `valid` when nothing was changed. */
function mutated<T extends Record<string, unknown>>(validArb: fc.Arbitrary<T>): fc.Arbitrary<{ body: unknown; valid: boolean }> {
  return fc.oneof(
    { weight: 2, arbitrary: validArb.map((body) => ({ body, valid: true })) },
    {
      weight: 5,
      arbitrary: fc.tuple(validArb, fc.nat(), junk, fc.constantFrom("replace", "remove", "add")).map(([body, pick, value, how]) => {
        const copy = structuredClone(body) as any;
        const ps = paths(copy);
        const path = ps[pick % Math.max(ps.length, 1)] ?? ["extra"];
        let node = copy;
        for (const k of path.slice(0, -1)) node = node[k];
        const last = path.at(-1)!;
        if (how === "remove") delete node[last];
        else if (how === "add" && node && typeof node === "object") node[`zz${pick % 7}`] = value;
        else node[last] = value;
        return { body: copy, valid: false };
      }),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((body) => ({ body, valid: false })) },
  );
}

type Outcome = { status: number; text: string };

/** The fingerprint after the last request (every request in this file goes through expectRefusalWroteNothing). */
let known: string | null = null;

async function expectRefusalWroteNothing(label: string, run: () => Promise<Response>): Promise<Outcome> {
  const before = known ?? (await fingerprint());
  const res = await run();
  const text = await res.text();
  if (res.status >= 500) throw new Error(`${label}: ${res.status} ${text}`);
  // An accepted event is written by the EVENTS consumer: let it land before the next fingerprint.
  if (res.status === 200) await settleIngest();
  const after = await fingerprint();
  known = after;
  if (res.status >= 400) {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code !== "string" || typeof body.error?.message !== "string") throw new Error(`${label}: error body ${text}`);
    if (after !== before) throw new Error(`${label}: refused with ${res.status} ${text} but wrote\n${before}\n${after}`);
  }
  return { status: res.status, text };
}

function tally(map: Map<number, number>, status: number) {
  map.set(status, (map.get(status) ?? 0) + 1);
}

const hex32 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(""));
const frameArb = fc.record({ filename: fc.constantFrom("app/pay.ts", "node_modules/x/y.js"), function: fc.constantFrom("charge", "run", "<anonymous>"), lineno: fc.nat({ max: 5000 }), in_app: fc.boolean() });
const validEventArb = fc.record({
  event_id: hex32,
  level: fc.constantFrom("error", "warning", "fatal", "info"),
  message: fc.string({ minLength: 1, maxLength: 40 }),
  exception: fc.record({ values: fc.array(fc.record({ type: fc.constantFrom("TypeError", "Error"), value: fc.string({ maxLength: 30 }), stacktrace: fc.record({ frames: fc.array(frameArb, { minLength: 1, maxLength: 3 }) }) }), { minLength: 1, maxLength: 2 }) }),
  release: fc.constantFrom("1.0.0", "1.1.0", "2.0.0"),
  environment: fc.constantFrom("production", "staging"),
  tags: fc.dictionary(fc.constantFrom("region", "host", "feature"), fc.string({ maxLength: 10 }), { maxKeys: 3 }),
  user: fc.record({ id: fc.nat({ max: 50 }).map(String), email: fc.constant("u@example.com") }),
});

describe("fuzz: ingest API", () => {
  it("400 generated and mutated events: never a 5xx, refusals write nothing, valid events are accepted", async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(mutated(validEventArb), async ({ body, valid }) => {
        const { status } = await expectRefusalWroteNothing("ingest", () =>
          dispatch(
            new Request(`https://alerts.test/api/projects/${s.project.id}/events`, {
              method: "POST",
              headers: { authorization: `Bearer ${s.ingestKey}`, "content-type": "application/json" },
              body: JSON.stringify(body),
            }),
          ),
        );
        tally(statuses, status);
        if (valid && status !== 200) throw new Error(`valid event refused: ${status} ${JSON.stringify(body)}`);
        if (![200, 400, 413].includes(status)) throw new Error(`unexpected ${status}`);
      }),
      { numRuns: 400 },
    );
    console.info(`fuzz ingest: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(statuses.get(200)).toBeGreaterThan(40);
    expect(statuses.get(400)).toBeGreaterThan(40);
  }, 180_000);
});

function envelopeText(header: unknown, items: [unknown, unknown][], lengths: "exact" | "none" | "wrong"): string {
  const enc = new TextEncoder();
  const lines = [JSON.stringify(header)];
  for (const [itemHeader, payload] of items) {
    const body = typeof payload === "string" ? payload : JSON.stringify(payload);
    const h = itemHeader && typeof itemHeader === "object" && !Array.isArray(itemHeader) ? { ...itemHeader } : itemHeader;
    if (h && typeof h === "object" && !Array.isArray(h)) {
      if (lengths === "exact") (h as any).length = enc.encode(body).length;
      if (lengths === "wrong") (h as any).length = enc.encode(body).length + 7;
    }
    lines.push(JSON.stringify(h), body);
  }
  return lines.join("\n") + "\n";
}

describe("fuzz: Sentry envelopes and store", () => {
  it("400 generated and mutated envelopes / store bodies: never a 5xx, refusals write nothing, valid ones are accepted", async () => {
    const statuses = new Map<number, number>();
    const dsn = `https://${s.ingestKey}@alerts.test/${s.project.id}`;
    const itemArb = fc.oneof(
      mutated(validEventArb).map(({ body, valid }) => ({ header: { type: "event" } as unknown, payload: body as unknown, valid })),
      fc.record({ type: fc.constantFrom("session", "attachment", "client_report", "transaction", "check_in", "weird") }).map((header) => ({ header: header as unknown, payload: { status: "ok" } as unknown, valid: true })),
      fc.tuple(junk, junk).map(([header, payload]) => ({ header, payload, valid: false })),
    );
    const requestArb = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .record({
            header: fc.oneof(fc.constant({ dsn } as unknown), fc.constant({} as unknown), junk),
            items: fc.array(itemArb, { minLength: 0, maxLength: 3 }),
            lengths: fc.constantFrom<"exact" | "none" | "wrong">("exact", "exact", "none", "wrong"),
            tail: fc.oneof(fc.constant(""), fc.string({ maxLength: 20 }), fc.string({ unit: "binary", maxLength: 20 })),
          })
          .map((r) => ({
            path: "envelope/",
            body: envelopeText(r.header, r.items.map((i) => [i.header, i.payload]), r.lengths) + r.tail,
            // Accepted for sure only when every part is well formed and one event item is valid.
            valid: false,
          })),
      },
      {
        weight: 1,
        arbitrary: mutated(validEventArb).map(({ body, valid }) => ({ path: "store/", body: JSON.stringify(body), valid })),
      },
      { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }).map((body) => ({ path: "envelope/", body, valid: false })) },
    );
    await fc.assert(
      fc.asyncProperty(requestArb, async ({ path, body, valid }) => {
        const { status, text } = await expectRefusalWroteNothing(`sentry ${path}`, () =>
          dispatch(
            new Request(`https://alerts.test/api/${s.project.id}/${path}`, {
              method: "POST",
              headers: { "x-sentry-auth": `Sentry sentry_key=${s.ingestKey}, sentry_version=7`, "content-type": "application/x-sentry-envelope" },
              body,
            }),
          ),
        );
        tally(statuses, status);
        if (valid && status !== 200) throw new Error(`valid ${path} refused: ${status} ${text}`);
        if (![200, 400, 413, 415].includes(status)) throw new Error(`unexpected ${status} ${text}`);
      }),
      { numRuns: 400 },
    );
    console.info(`fuzz sentry: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(statuses.get(200)).toBeGreaterThan(20);
    expect(statuses.get(400)).toBeGreaterThan(40);
  }, 180_000);
});

describe("fuzz: Sentry content encodings and key placement (issue #15)", () => {
  async function encode(text: string, codings: string[]): Promise<Uint8Array> {
    let bytes: Uint8Array = new TextEncoder().encode(text);
    for (const coding of codings) {
      if (coding === "identity" || coding === "br") continue; // br: sent as is, the server must refuse the name
      const format = coding === "deflate" ? "deflate" : "gzip";
      bytes = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream(format))).arrayBuffer());
    }
    return bytes;
  }

  it("120 requests: stacked codings are never decoded, unauthenticated ones never accepted, refusals write nothing", async () => {
    const statuses = new Map<number, number>();
    const dsn = `https://${s.ingestKey}@alerts.test/${s.project.id}`;
    const arb = fc.record({
      codings: fc.array(fc.constantFrom("gzip", "deflate", "identity", "x-gzip", "br"), { minLength: 0, maxLength: 4 }),
      key: fc.constantFrom<"header" | "query" | "dsn" | "none" | "wrong" | "wrong-dsn">("header", "query", "dsn", "none", "wrong", "wrong-dsn"),
      event: validEventArb,
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ codings, key, event }) => {
        const header = key === "dsn" ? { dsn } : key === "wrong-dsn" ? { dsn: `https://nope@alerts.test/${s.project.id}` } : {};
        const body = await encode(envelopeText(header, [[{ type: "event" }, event]], "exact"), codings);
        const headers: Record<string, string> = { "content-type": "application/x-sentry-envelope" };
        if (codings.length) headers["content-encoding"] = codings.join(", ");
        if (key === "header") headers["x-sentry-auth"] = `Sentry sentry_key=${s.ingestKey}, sentry_version=7`;
        if (key === "wrong") headers["x-sentry-auth"] = "Sentry sentry_key=wrong, sentry_version=7";
        const query = key === "query" ? `?sentry_key=${s.ingestKey}` : "";
        const { status, text } = await expectRefusalWroteNothing("sentry encodings", () =>
          dispatch(new Request(`https://alerts.test/api/${s.project.id}/envelope/${query}`, { method: "POST", headers, body })),
        );
        tally(statuses, status);
        const stacked = codings.length > 1;
        const authenticated = key === "header" || key === "query" || key === "dsn";
        if (key === "wrong" && status !== 401) throw new Error(`wrong header key: ${status} ${text}`);
        if (stacked && status !== 415 && key !== "wrong") throw new Error(`stacked ${codings.join(",")}: ${status} ${text}`);
        if (!authenticated && status === 200) throw new Error(`unauthenticated accepted: ${key}`);
        const readable = !stacked && !codings.includes("br");
        if (authenticated && readable && status !== 200) throw new Error(`valid ${key} ${codings.join(",")} refused: ${status} ${text}`);
      }),
      { numRuns: 120 },
    );
    console.info(`fuzz sentry encodings: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(statuses.get(415)).toBeGreaterThan(10);
    expect(statuses.get(401)).toBeGreaterThan(10);
  }, 180_000);
});

describe("fuzz: admin API bodies", () => {
  it("600 generated and mutated bodies on every write route: never a 5xx, refusals write nothing", async () => {
    const statuses = new Map<number, number>();
    let n = 0;
    const uniq = () => `${Date.now().toString(36)}-${++n}`;
    const routes: { method: string; path: () => string; body: fc.Arbitrary<Record<string, unknown>> }[] = [
      { method: "POST", path: () => "/organizations", body: fc.constant(0).map(() => ({ name: `Fuzz ${uniq()}`, slug: `fuzz-${uniq()}` })) },
      { method: "PATCH", path: () => `/organizations/${s.org.id}`, body: fc.record({ name: fc.constantFrom("Org A", "Org B"), autoLinkByEmail: fc.boolean() }) },
      { method: "POST", path: () => `/organizations/${s.org.id}/members`, body: fc.record({ userId: fc.constantFrom(s.outsider.id, 999_999), role: fc.constantFrom("member", "admin") }) },
      { method: "PATCH", path: () => `/organizations/${s.org.id}/members/${s.member.id}`, body: fc.record({ role: fc.constantFrom("member", "admin") }) },
      { method: "POST", path: () => "/users", body: fc.constant(0).map(() => ({ email: `fuzz-${uniq()}@example.com`, name: "Fuzz" })) },
      { method: "PATCH", path: () => `/users/${s.member.id}`, body: fc.record({ name: fc.constantFrom("Max", "Maxine"), notifyOnAssign: fc.boolean() }) },
      { method: "POST", path: () => `/organizations/${s.org.id}/teams`, body: fc.constant(0).map(() => ({ slug: `t-${uniq()}`, name: "T" })) },
      { method: "POST", path: () => `/teams/${s.team.id}/members`, body: fc.record({ userId: fc.constantFrom(s.admin.id, s.outsider.id) }) },
      { method: "POST", path: () => `/organizations/${s.org.id}/projects`, body: fc.constant(0).map(() => ({ slug: `p-${uniq()}`, name: "P" })) },
      { method: "POST", path: () => `/projects/${s.project.id}/releases`, body: fc.constant(0).map(() => ({ version: `3.${uniq()}` })) },
      { method: "POST", path: () => `/projects/${s.project.id}/keys`, body: fc.record({ label: fc.constantFrom("ci", "web"), revokeOthers: fc.constant(false) }) },
      {
        method: "POST",
        path: () => `/projects/${s.project.id}/rules`,
        body: fc.record({
          name: fc.constantFrom("R1", "R2"),
          conditions: fc.record({ newIssue: fc.constant(true), regression: fc.boolean() }),
          action: fc.constant(0).map(() => ({ integrationId, target: "general" })),
          frequencyMinutes: fc.integer({ min: 1, max: 60 }),
        }),
      },
      {
        method: "PUT",
        path: () => `/issues/${issueId}`,
        body: fc.oneof(
          fc.record({ status: fc.constantFrom("resolved", "unresolved", "ignored", "resolvedInNextRelease") }),
          fc.record({ status: fc.constantFrom("ignored"), statusDetails: fc.record({ ignoreCount: fc.integer({ min: 1, max: 100 }) }) }),
          fc.record({ assignedTo: fc.constantFrom(`user:${s.member.id}`, `team:${s.team.id}`, "") }),
          fc.record({ status: fc.constantFrom("resolved", "unresolved"), assignedTo: fc.constantFrom(`user:${s.member.id}`, `user:${s.outsider.id}`, `team:${s.team.id}`, "") }),
        ),
      },
    ];
    // The rule targets need the team's channels.
    const teamId = (await env.DB.prepare("select external_id from integrations where id = ?").bind(integrationId).first<{ external_id: string }>())!.external_id;
    ms.connector.teams.set(teamId, { details: { id: teamId, name: "Platform" }, channels: [{ id: teamId, name: null }] });
    ms.connector.members.set(teamId, []);
    const caseArb = fc.tuple(fc.nat({ max: routes.length - 1 }), fc.nat()).chain(([i]) => mutated(routes[i].body).map((b) => ({ route: routes[i], ...b })));
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ route, body }) => {
        const path = route.path();
        const { status, text } = await expectRefusalWroteNothing(`${route.method} ${path} ${JSON.stringify(body)?.slice(0, 200)}`, () =>
          admin(path, { method: route.method, body }),
        );
        tally(statuses, status);
        if (status === 413 && JSON.stringify(body).length < 60_000) failures.push(`413 for a small body: ${text}`);
      }),
      { numRuns: 600 },
    );
    console.info(`fuzz admin: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(failures).toEqual([]);
    expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0)).toBeGreaterThan(40);
    expect(statuses.get(400)).toBeGreaterThan(100);
  }, 240_000);
});

describe("fuzz: signed-link payloads", () => {
  it("300 validly signed links with generated and mutated payloads: never a 5xx, always an HTML page with the page headers, nothing written", async () => {
    const serviceUrl = "https://smba.trafficmanager.test/amer/";
    const linkData = fc.record({
      tenantId: fc.constantFrom("tenant-a", "t"),
      teamsUserId: fc.constantFrom("29:user-a", "29:b"),
      aadObjectId: fc.constantFrom(null, "aad-1"),
      integrationIds: fc.array(fc.constantFrom(integrationId, integrationId + 1), { maxLength: 2 }),
      conversationId: fc.constantFrom("a:chat-1"),
      serviceUrl: fc.constant(serviceUrl),
    });
    const setupData = fc.record({ integrationId: fc.constantFrom(integrationId, integrationId + 1000), generation: fc.constantFrom(1, 2) });
    const caseArb = fc.oneof(
      mutated(setupData).map((m) => ({ purpose: "setup" as const, ...m })),
      mutated(linkData).map((m) => ({ purpose: "link" as const, ...m })),
      mutated(linkData).map((m) => ({ purpose: "unlink" as const, ...m })),
    );
    const secret = new TextEncoder().encode(env.LINK_SIGNING_SECRET as string);
    const statuses = new Map<number, number>();
    const before = await fingerprint();
    await fc.assert(
      fc.asyncProperty(caseArb, fc.boolean(), async ({ purpose, body }, post) => {
        const jwt = await new SignJWT({ pur: purpose, d: body }).setProtectedHeader({ alg: "HS256" }).setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime("15m").sign(secret);
        const url = `https://alerts.test/${purpose}/${jwt}`;
        const init = post ? { method: "POST", body: new URLSearchParams({ csrf: "0".repeat(64), token: "x", organization: "x" }) } : {};
        const res = await dispatch(new Request(url, init));
        const text = await res.text();
        const label = `${post ? "POST" : "GET"} ${purpose} ${JSON.stringify(body)?.slice(0, 200)}`;
        if (res.status >= 500) throw new Error(`${label}: ${res.status} ${text}`);
        if (!res.headers.get("content-type")?.startsWith("text/html")) throw new Error(`${label}: not a page`);
        if (!res.headers.get("content-security-policy")?.includes("frame-ancestors 'none'")) throw new Error(`${label}: no page headers`);
        tally(statuses, res.status);
      }),
      { numRuns: 300 },
    );
    // GETs only read, and every POST here carries a wrong CSRF token: nothing may change.
    expect(await fingerprint()).toBe(before);
    console.info(`fuzz signed links: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(statuses.get(400)).toBeGreaterThan(50);
    expect((statuses.get(200) ?? 0) + (statuses.get(403) ?? 0)).toBeGreaterThan(20);
  }, 240_000);
});
