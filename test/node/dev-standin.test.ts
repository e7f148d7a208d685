/**
 * The local Microsoft stand-in behind `npm start`'s playground (scripts/dev-standin), against a recording "worker"
 * (a plain HTTP server here; the real worker is in playground.test.ts):
 *  - what the playground sends is what Teams sends: signed by the stand-in's Bot Framework key (verified here with
 *    jose against the published JWKS), Action.Submit `value` and `replyToId`, thread-addressed conversation ids,
 *    @mentions, the install pair;
 *  - the Connector keeps threads and updates, and answers 404 for what it does not hold;
 *  - the sign-in authority does the authorization-code + PKCE dance in real Chromium and issues an id_token that
 *    verifies against its metadata, with Microsoft's errors for the wrong secret, verifier, code or redirect;
 *  - keys and conversations survive a restart with the same state directory.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const APP_ID = "0b7a9c4e-1111-4222-8333-944445555666";
const APP_PASSWORD = "stand-in-test-password";
const USER = "29:demo-ada-lovelace";
const TEAM = "19:demo-platform-team@thread.tacv2";
const ALERTS = "19:demo-alerts-channel@thread.tacv2";

type Recorded = { path: string; headers: IncomingMessage["headers"]; body: any };
type StandIn = any;

const load = (file: string) => import(pathToFileURL(join(ROOT, "scripts/dev-standin", file)).href);

/** A stand-in for the worker: records every request, answers 200 (or what `answer` says). */
async function recordingWorker() {
  const requests: Recorded[] = [];
  let answer = 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      requests.push({ path: req.url ?? "", headers: req.headers, body: text ? JSON.parse(text) : null });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    requests,
    answerWith: (status: number) => (answer = status),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function playgroundPost(standIn: StandIn, name: string, body: object) {
  const res = await fetch(`${standIn.origin}/playground/api/${name}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

/** A bot message posted through the Connector with a token from the stand-in's token endpoint. */
async function botToken(standIn: StandIn) {
  const res = await fetch(standIn.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: APP_ID, client_secret: APP_PASSWORD, scope: "https://api.botframework.com/.default" }),
  });
  expect(res.status).toBe(200);
  return (await res.json()).access_token as string;
}

async function connector(standIn: StandIn, token: string, method: string, path: string, body?: object) {
  const res = await fetch(`${standIn.serviceUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

const card = (text: string) => ({
  type: "message",
  attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard", version: "1.5", body: [{ type: "TextBlock", text }] } }],
});

describe("the playground sends what Teams sends", () => {
  let worker: Awaited<ReturnType<typeof recordingWorker>>;
  let standIn: StandIn;

  beforeAll(async () => {
    worker = await recordingWorker();
    const { startMicrosoftStandIn } = await load("server.mjs");
    standIn = await startMicrosoftStandIn({ appId: APP_ID, appPassword: APP_PASSWORD, workerUrl: worker.url, playground: true });
  });
  afterAll(async () => {
    await standIn.close();
    await worker.close();
  });

  /** Verifies the request's bearer token as the worker does (Bot Framework metadata → JWKS, iss, aud, serviceurl). */
  async function verifyInbound(r: Recorded) {
    const metadata = await (await fetch(standIn.metadataUrl)).json();
    const token = String(r.headers.authorization).replace(/^Bearer /, "");
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(metadata.jwks_uri)), { issuer: "https://api.botframework.com", audience: APP_ID });
    expect(payload.serviceurl).toBe(r.body.serviceUrl);
    const jwks = await (await fetch(metadata.jwks_uri)).json();
    const key = jwks.keys.find((k: { kid: string }) => k.kid === decodeProtectedHeader(token).kid);
    expect(key.endorsements).toContain(r.body.channelId);
    return payload;
  }

  it("'add the app' sends conversationUpdate (bot in membersAdded) then installationUpdate add, signed; the team shows as installed", async () => {
    const before = worker.requests.length;
    const r = await playgroundPost(standIn, "install", { user: USER, team: TEAM, action: "add" });
    expect(r).toEqual({ status: 200, json: { ok: true, status: 200 } });
    const [update, install] = worker.requests.slice(before);
    expect(update.path).toBe("/api/messages");
    expect(update.body).toMatchObject({
      type: "conversationUpdate",
      channelId: "msteams",
      serviceUrl: standIn.serviceUrl,
      recipient: { id: `28:${APP_ID}` },
      from: { id: USER, aadObjectId: expect.any(String) },
      membersAdded: [{ id: `28:${APP_ID}` }],
      channelData: { eventType: "teamMemberAdded", team: { id: TEAM, name: "Platform" }, tenant: { id: expect.any(String) } },
    });
    expect(install.body).toMatchObject({ type: "installationUpdate", action: "add", channelData: { team: { id: TEAM } } });
    await verifyInbound(update);
    await verifyInbound(install);
    const state = await (await fetch(`${standIn.origin}/playground/api/state?user=${encodeURIComponent(USER)}`)).json();
    expect(state.teams.find((t: { id: string }) => t.id === TEAM).installed).toBe(true);
  });

  it("'remove it' sends teamMemberRemoved with the bot in membersRemoved, then installationUpdate remove", async () => {
    const before = worker.requests.length;
    expect((await playgroundPost(standIn, "install", { user: USER, team: TEAM, action: "remove" })).status).toBe(200);
    const [update, install] = worker.requests.slice(before);
    expect(update.body).toMatchObject({ type: "conversationUpdate", membersRemoved: [{ id: `28:${APP_ID}` }], channelData: { eventType: "teamMemberRemoved" } });
    expect(update.body.membersAdded).toBeUndefined();
    expect(install.body).toMatchObject({ type: "installationUpdate", action: "remove" });
  });

  it("a channel message is a new post that @mentions the bot; the bot's answer to its thread lands under it", async () => {
    const before = worker.requests.length;
    expect((await playgroundPost(standIn, "message", { user: USER, conversation: ALERTS, text: "help" })).status).toBe(200);
    const [sent] = worker.requests.slice(before);
    const postId = sent.body.id;
    expect(sent.body).toMatchObject({
      type: "message",
      text: "<at>Issue Alerts</at> help",
      entities: [{ type: "mention", text: "<at>Issue Alerts</at>", mentioned: { id: `28:${APP_ID}` } }],
      conversation: { id: `${ALERTS};messageid=${postId}`, conversationType: "channel" },
      channelData: { channel: { id: ALERTS }, team: { id: TEAM } },
    });
    await verifyInbound(sent);
    // The bot answers the way the worker does: to the conversation it was addressed from.
    const token = await botToken(standIn);
    const answer = await connector(standIn, token, "POST", `v3/conversations/${encodeURIComponent(sent.body.conversation.id)}/activities`, card("What I can do"));
    expect(answer.status).toBe(201);
    const posted = standIn.log.get(answer.json.id);
    expect(posted).toMatchObject({ conversationId: ALERTS, threadId: postId, from: { bot: true } });
    expect(standIn.log.get(postId)).toMatchObject({ conversationId: ALERTS, threadId: null, from: { id: USER, bot: false } });
  });

  it("a click on a card's Submit: value = data merged with inputs, replyToId = the card, conversation = the card's thread", async () => {
    const token = await botToken(standIn);
    const posted = await connector(standIn, token, "POST", `v3/conversations/${encodeURIComponent(TEAM)}/activities`, card("an issue"));
    const before = worker.requests.length;
    const value = { payload: { actionType: "1", groupId: "7" }, resolveInput: "resolved" };
    const r = await playgroundPost(standIn, "submit", { user: USER, replyToId: posted.json.id, value });
    expect(r.status).toBe(200);
    const [click] = worker.requests.slice(before);
    expect(click.body).toMatchObject({
      type: "message",
      value,
      replyToId: posted.json.id,
      conversation: { id: `${TEAM};messageid=${posted.json.id}`, conversationType: "channel" },
      channelData: { channel: { id: TEAM }, team: { id: TEAM, name: "Platform" } },
      from: { id: USER },
    });
    await verifyInbound(click);
    // The worker's answer to a click: PUT over the clicked message, addressed as the click was.
    const put = await connector(standIn, token, "PUT", `v3/conversations/${encodeURIComponent(click.body.conversation.id)}/activities/${posted.json.id}`, card("resolved"));
    expect(put).toEqual({ status: 200, json: { id: posted.json.id } });
    expect(standIn.log.get(posted.json.id).updatedAt).toEqual(expect.any(String));
    expect(JSON.stringify(standIn.log.get(posted.json.id).activity)).toContain("resolved");
  });

  it("personal chat: a message and a click carry the personal conversation; the user's text shows in the chat", async () => {
    const before = worker.requests.length;
    expect((await playgroundPost(standIn, "message", { user: USER, conversation: `a:personal-${USER}`, text: "link" })).status).toBe(200);
    const [sent] = worker.requests.slice(before);
    expect(sent.body).toMatchObject({ type: "message", text: "link", conversation: { id: `a:personal-${USER}`, conversationType: "personal" } });
    expect(standIn.log.inConversation(`a:personal-${USER}`).map((m: { activity: { text?: string } }) => m.activity.text)).toContain("link");
  });

  it("refuses what Teams could not send, and says why; the worker's refusal comes back as 502 with its status", async () => {
    const before = worker.requests.length;
    expect(await playgroundPost(standIn, "install", { user: "29:nobody", team: TEAM, action: "add" })).toMatchObject({ status: 400, json: { ok: false, error: expect.stringContaining("user") } });
    // Ada is not a member of Mobile.
    expect(await playgroundPost(standIn, "install", { user: USER, team: "19:demo-mobile-team@thread.tacv2", action: "add" })).toMatchObject({ status: 400 });
    expect(await playgroundPost(standIn, "submit", { user: USER, replyToId: "404", value: {} })).toMatchObject({ status: 400, json: { error: expect.stringContaining("replyToId") } });
    expect(await playgroundPost(standIn, "message", { user: USER, conversation: ALERTS, text: "  " })).toMatchObject({ status: 400 });
    expect(worker.requests.length).toBe(before);
    worker.answerWith(401);
    try {
      expect(await playgroundPost(standIn, "message", { user: USER, conversation: ALERTS, text: "help" })).toMatchObject({ status: 502, json: { ok: false, status: 401, error: expect.stringContaining("401") } });
    } finally {
      worker.answerWith(200);
    }
  });

  it("the Connector: 401 without an issued token, 404 for a PUT or DELETE of a message it does not hold", async () => {
    expect((await connector(standIn, "made-up", "POST", `v3/conversations/${encodeURIComponent(TEAM)}/activities`, card("x"))).status).toBe(401);
    const token = await botToken(standIn);
    expect((await connector(standIn, token, "PUT", `v3/conversations/${encodeURIComponent(TEAM)}/activities/123`, card("x"))).status).toBe(404);
    expect((await connector(standIn, token, "DELETE", `v3/conversations/${encodeURIComponent(ALERTS)}/activities/123`)).status).toBe(404);
    const posted = await connector(standIn, token, "POST", `v3/conversations/${encodeURIComponent(TEAM)}/activities`, card("x"));
    // The message is in General, not in Alerts.
    expect((await connector(standIn, token, "PUT", `v3/conversations/${encodeURIComponent(ALERTS)}/activities/${posted.json.id}`, card("y"))).status).toBe(404);
  });
});

describe("the sign-in authority (OpenID Connect, authorization code + PKCE)", () => {
  let standIn: StandIn;
  let callback: Awaited<ReturnType<typeof recordingWorker>>;
  let browser: Browser;

  beforeAll(async () => {
    callback = await recordingWorker();
    const { startMicrosoftStandIn } = await load("server.mjs");
    standIn = await startMicrosoftStandIn({ appId: APP_ID, appPassword: APP_PASSWORD, workerUrl: callback.url, playground: true });
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
  });
  afterAll(async () => {
    await browser?.close();
    await standIn?.close();
    await callback?.close();
  });

  const pkce = () => {
    const verifier = randomBytes(32).toString("base64url");
    return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
  };

  async function authorizeUrl(extra: Record<string, string> = {}) {
    const metadata = await (await fetch(standIn.signInMetadataUrl)).json();
    const url = new URL(metadata.authorization_endpoint);
    for (const [k, v] of Object.entries({ client_id: APP_ID, response_type: "code", redirect_uri: `${callback.url}/auth/callback`, scope: "openid profile email", ...extra })) {
      url.searchParams.set(k, v);
    }
    return { metadata, url: url.toString() };
  }

  /** Real Chromium: the picker page, a click on a person, the redirect back to the callback; returns its query. */
  async function signInAs(email: string, extra: Record<string, string>) {
    const { url } = await authorizeUrl(extra);
    const page = await browser.newPage();
    try {
      await page.goto(url);
      await page.locator(`button[data-user="${email}"]`).click();
      await page.waitForURL((u) => u.toString().startsWith(`${callback.url}/auth/callback`));
      return new URL(page.url()).searchParams;
    } finally {
      await page.close();
    }
  }

  async function exchange(form: Record<string, string>) {
    const res = await fetch(`${standIn.origin}/organizations/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });
    return { status: res.status, json: await res.json() };
  }

  it("publishes Microsoft's multi-tenant metadata: the {tenantid} issuer template and its own keys", async () => {
    const metadata = await (await fetch(standIn.signInMetadataUrl)).json();
    expect(metadata).toMatchObject({
      issuer: `${standIn.origin}/{tenantid}/v2.0`,
      authorization_endpoint: `${standIn.origin}/organizations/oauth2/v2.0/authorize`,
      token_endpoint: `${standIn.origin}/organizations/oauth2/v2.0/token`,
      jwks_uri: `${standIn.origin}/organizations/discovery/v2.0/keys`,
      response_modes_supported: expect.arrayContaining(["query", "form_post"]),
      id_token_signing_alg_values_supported: ["RS256"],
    });
    const signInKeys = (await (await fetch(metadata.jwks_uri)).json()).keys.map((k: { kid: string }) => k.kid);
    expect(signInKeys).not.toContain(standIn.key.kid);
  });

  it("picker page → code + state on the redirect URI → the token endpoint's id_token carries tid, oid, email, nonce", async () => {
    const { verifier, challenge } = pkce();
    const query = await signInAs("ada@example.com", { state: "st-1", nonce: "n-1", code_challenge: challenge, code_challenge_method: "S256" });
    expect(query.get("state")).toBe("st-1");
    const code = query.get("code")!;
    const redirect_uri = `${callback.url}/auth/callback`;
    const tokens = await exchange({ grant_type: "authorization_code", code, redirect_uri, client_id: APP_ID, client_secret: APP_PASSWORD, code_verifier: verifier });
    expect(tokens.status).toBe(200);
    expect(tokens.json).toMatchObject({ token_type: "Bearer", id_token: expect.any(String), expires_in: expect.any(Number) });
    const { metadata } = await authorizeUrl();
    const tid = "72f988bf-0000-4000-8000-000000000001";
    const { payload, protectedHeader } = await jwtVerify(tokens.json.id_token, createRemoteJWKSet(new URL(metadata.jwks_uri)), {
      issuer: metadata.issuer.replace("{tenantid}", tid),
      audience: APP_ID,
    });
    expect(protectedHeader.alg).toBe("RS256");
    // Ada's oid is the aadObjectId the playground puts on her Teams activities.
    expect(payload).toMatchObject({ tid, oid: "6f1c0d2e-0000-4000-8000-00000000ada1", email: "ada@example.com", preferred_username: "ada@example.com", name: "Ada Lovelace", nonce: "n-1", ver: "2.0" });
    // A code is good once.
    expect(await exchange({ grant_type: "authorization_code", code, redirect_uri, client_id: APP_ID, client_secret: APP_PASSWORD, code_verifier: verifier })).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
  });

  it("refuses a wrong client secret (401 invalid_client) and a wrong PKCE verifier (invalid_grant)", async () => {
    const { challenge } = pkce();
    const redirect_uri = `${callback.url}/auth/callback`;
    const first = (await signInAs("grace@example.com", { state: "s", code_challenge: challenge, code_challenge_method: "S256" })).get("code")!;
    expect(await exchange({ grant_type: "authorization_code", code: first, redirect_uri, client_id: APP_ID, client_secret: "wrong" })).toMatchObject({
      status: 401,
      json: { error: "invalid_client", error_description: expect.stringMatching(/^AADSTS7000215/) },
    });
    const second = (await signInAs("grace@example.com", { state: "s", code_challenge: challenge, code_challenge_method: "S256" })).get("code")!;
    expect(await exchange({ grant_type: "authorization_code", code: second, redirect_uri, client_id: APP_ID, client_secret: APP_PASSWORD, code_verifier: pkce().verifier })).toMatchObject({
      status: 400,
      json: { error: "invalid_grant", error_description: expect.stringMatching(/^AADSTS501481/) },
    });
  });

  it("an unknown client or a redirect URI off the worker's origin gets an error page, never a redirect", async () => {
    const before = callback.requests.length;
    const page = await browser.newPage();
    try {
      const cases: Record<string, string>[] = [{ client_id: "00000000-0000-0000-0000-000000000000" }, { redirect_uri: "https://evil.example/callback" }];
      for (const extra of cases) {
        const { url } = await authorizeUrl(extra);
        const res = await page.goto(url);
        expect(res?.status()).toBe(400);
        expect(new URL(page.url()).origin).toBe(standIn.origin);
        await expect(page.locator("main").textContent()).resolves.toMatch(/AADSTS(700016|50011)/);
      }
    } finally {
      await page.close();
    }
    expect(callback.requests.length).toBe(before);
  });

  it("Cancel on the picker page goes back with error=access_denied and the state", async () => {
    const { url } = await authorizeUrl({ state: "st-cancel" });
    const page = await browser.newPage();
    try {
      await page.goto(url);
      await page.getByRole("button", { name: "Cancel" }).click();
      await page.waitForURL((u) => u.toString().startsWith(`${callback.url}/auth/callback`));
      const q = new URL(page.url()).searchParams;
      expect([q.get("error"), q.get("state")]).toEqual(["access_denied", "st-cancel"]);
    } finally {
      await page.close();
    }
  });
});

describe("state across restarts", () => {
  it("keeps the keys, the conversations, the installs and growing message ids in the state directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "standin-state-"));
    dirs.push(dir);
    const { startMicrosoftStandIn } = await load("server.mjs");
    const first = await startMicrosoftStandIn({ appId: APP_ID, appPassword: APP_PASSWORD, stateDir: dir, playground: true });
    const token = await botToken(first);
    const posted = await connector(first, token, "POST", `v3/conversations/${encodeURIComponent(TEAM)}/activities`, card("kept"));
    first.log.setInstalled(TEAM, true);
    const kid = first.key.kid;
    await first.close();

    const second = await startMicrosoftStandIn({ appId: APP_ID, appPassword: APP_PASSWORD, stateDir: dir, playground: true });
    try {
      expect(second.key.kid).toBe(kid);
      const state = await (await fetch(`${second.origin}/playground/api/state?user=${encodeURIComponent(USER)}`)).json();
      const general = state.teams.find((t: { id: string }) => t.id === TEAM);
      expect(general.installed).toBe(true);
      expect(JSON.stringify(general.channels[0].messages)).toContain("kept");
      const next = await connector(second, await botToken(second), "POST", `v3/conversations/${encodeURIComponent(TEAM)}/activities`, card("new"));
      expect(BigInt(next.json.id)).toBeGreaterThan(BigInt(posted.json.id));
    } finally {
      await second.close();
    }
  });
});
