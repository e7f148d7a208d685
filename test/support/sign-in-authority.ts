/**
 * A stand-in for the Microsoft identity platform's sign-in endpoints (v2.0, the `organizations` authority), at the
 * network boundary. It runs anywhere Web APIs do: inside workerd (routed by the Microsoft stand-in's fetch spy, see
 * `standIn.addRoutes(authority.handle)`) and in Node (served over HTTP to a real browser, and answered to the
 * Miniflare worker's outbound fetch).
 *
 *  - GET  metadata: issuer template `<origin>/{tenantid}/v2.0`, authorize/token endpoints, jwks_uri.
 *  - GET  JWKS: the published RSA keys.
 *  - GET  authorize: checks client_id, redirect_uri (must be registered), response_type=code, scope has openid,
 *         state, nonce, an S256 code_challenge; signs in `nextUser` (as if they picked that account) and redirects
 *         back with a one-time code and the state. `denyNext` answers with error=access_denied instead, as Microsoft
 *         does when someone cancels. A bad client_id or redirect_uri is an error page (no redirect), like AADSTS.
 *  - POST token: grant_type=authorization_code, the code (once, 10 minutes), the same redirect_uri and client_id,
 *         the client secret, and the PKCE verifier whose S256 is the challenge; else invalid_grant /
 *         invalid_client JSON (400 / 401) like AAD. Answers an access token and an RS256 id_token with aud, iss for
 *         the user's tenant, iat/nbf/exp, nonce, tid, oid, sub, name, preferred_username and email.
 *  - `nextIdToken` replaces the next id_token's claims/header/key (to test that the worker refuses bad tokens).
 */
import { base64url, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";

export type SignInUser = { tenantId: string; objectId: string; email?: string; name?: string };

export type IdTokenTamper = {
  claims?: (claims: JWTPayload) => JWTPayload;
  header?: Record<string, unknown>;
  /** Sign with this key instead (e.g. one that is not published). */
  key?: CryptoKey | Uint8Array;
  /** Send this exact string as the id_token. */
  raw?: string;
};

type Grant = { clientId: string; redirectUri: string; nonce: string; challenge: string; user: SignInUser; expiresAt: number };

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8" } });

export class SignInAuthority {
  readonly metadataUrl: string;
  readonly issuerTemplate: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly jwksUrl: string;
  keys: { kid: string; privateKey: CryptoKey; publicJwk: JWK }[] = [];
  /** Who the next authorize request signs in. */
  nextUser: SignInUser | null = null;
  denyNext = false;
  nextIdToken: IdTokenTamper | null = null;
  readonly grants = new Map<string, Grant>();
  readonly tokenRequests: Record<string, string>[] = [];
  readonly authorizeRequests: URL[] = [];
  metadataRequests = 0;
  jwksRequests = 0;

  constructor(
    /** Origin the authority answers on, e.g. https://login.microsoftonline.test or http://127.0.0.1:<port>. */
    readonly origin: string,
    readonly client: { id: string; secret: string; redirectUris: string[] },
  ) {
    this.metadataUrl = `${origin}/organizations/v2.0/.well-known/openid-configuration`;
    this.issuerTemplate = `${origin}/{tenantid}/v2.0`;
    this.authorizeUrl = `${origin}/organizations/oauth2/v2.0/authorize`;
    this.tokenUrl = `${origin}/organizations/oauth2/v2.0/token`;
    this.jwksUrl = `${origin}/organizations/discovery/v2.0/keys`;
  }

  static async start(origin: string, client: { id: string; secret: string; redirectUris: string[] }): Promise<SignInAuthority> {
    const a = new SignInAuthority(origin, client);
    a.publish(await a.createKey());
    return a;
  }

  async createKey(kid = `signin-${crypto.randomUUID().slice(0, 8)}`) {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
    return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, use: "sig", alg: "RS256" } };
  }

  publish(key: { kid: string; privateKey: CryptoKey; publicJwk: JWK }): void {
    this.keys.push(key);
  }

  /** The id_token's `iss` for a tenant. */
  issuerFor(tenantId: string): string {
    return this.issuerTemplate.replace("{tenantid}", tenantId);
  }

  /** Answers a request addressed to the authority, or null when it is not one. */
  handle = async (request: Request): Promise<Response | null> => {
    const url = new URL(request.url);
    if (url.origin !== new URL(this.origin).origin) return null;
    const path = url.origin + url.pathname;
    if (request.method === "GET" && path === this.metadataUrl) {
      this.metadataRequests++;
      return json(200, {
        issuer: this.issuerTemplate,
        authorization_endpoint: this.authorizeUrl,
        token_endpoint: this.tokenUrl,
        jwks_uri: this.jwksUrl,
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        id_token_signing_alg_values_supported: ["RS256"],
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
      });
    }
    if (request.method === "GET" && path === this.jwksUrl) {
      this.jwksRequests++;
      return json(200, { keys: this.keys.map((k) => k.publicJwk) });
    }
    if (request.method === "GET" && path === this.authorizeUrl) return this.authorize(url);
    if (path === this.tokenUrl) return this.token(request);
    return null;
  };

  private authorize(url: URL): Response {
    this.authorizeRequests.push(url);
    const p = url.searchParams;
    const page = (text: string) => new Response(`<!DOCTYPE html><title>Sign in</title><p>${text}</p>`, { status: 400, headers: { "content-type": "text/html" } });
    if (p.get("client_id") !== this.client.id) return page("AADSTS700016: Application not found in the directory.");
    const redirectUri = p.get("redirect_uri") ?? "";
    if (!this.client.redirectUris.includes(redirectUri)) return page("AADSTS50011: The redirect URI does not match the redirect URIs configured for the application.");
    const back = new URL(redirectUri);
    const state = p.get("state");
    if (state) back.searchParams.set("state", state);
    const fail = (error: string, description: string) => {
      back.searchParams.set("error", error);
      back.searchParams.set("error_description", description);
      return Response.redirect(back.href, 302);
    };
    if (p.get("response_type") !== "code") return fail("unsupported_response_type", "AADSTS70005");
    if (!(p.get("scope") ?? "").split(" ").includes("openid")) return fail("invalid_scope", "AADSTS70011");
    if (!p.get("nonce") || !state) return fail("invalid_request", "AADSTS900144: nonce and state are required here");
    if (p.get("code_challenge_method") !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(p.get("code_challenge") ?? "")) {
      return fail("invalid_request", "AADSTS501491: invalid code_challenge");
    }
    if (this.denyNext) {
      this.denyNext = false;
      return fail("access_denied", "AADSTS65004: User declined to consent to access the app.");
    }
    if (!this.nextUser) return fail("login_required", "stand-in: no user chosen for this sign-in");
    const code = `code-${crypto.randomUUID()}`;
    this.grants.set(code, {
      clientId: this.client.id,
      redirectUri,
      nonce: p.get("nonce")!,
      challenge: p.get("code_challenge")!,
      user: this.nextUser,
      expiresAt: Date.now() + 10 * 60_000,
    });
    back.searchParams.set("code", code);
    return Response.redirect(back.href, 302);
  }

  private async token(request: Request): Promise<Response> {
    if (request.method !== "POST" || !request.headers.get("content-type")?.startsWith("application/x-www-form-urlencoded")) {
      return json(400, { error: "invalid_request", error_description: "AADSTS900561: The endpoint only accepts POST requests." });
    }
    const form = Object.fromEntries(new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer())));
    this.tokenRequests.push(form);
    if (form.client_id !== this.client.id || form.client_secret !== this.client.secret) {
      return json(401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." });
    }
    if (form.grant_type !== "authorization_code") return json(400, { error: "unsupported_grant_type" });
    const grant = this.grants.get(form.code ?? "");
    this.grants.delete(form.code ?? "");
    if (!grant || grant.expiresAt < Date.now()) return json(400, { error: "invalid_grant", error_description: "AADSTS70008: The provided authorization code or refresh token has expired or was already used." });
    if (grant.redirectUri !== form.redirect_uri) return json(400, { error: "invalid_grant", error_description: "AADSTS50148: The redirect_uri does not match." });
    const challenge = base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(form.code_verifier ?? ""))));
    if (challenge !== grant.challenge) return json(400, { error: "invalid_grant", error_description: "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request." });
    return json(200, {
      token_type: "Bearer",
      scope: "openid profile email",
      expires_in: 3600,
      access_token: `standin-access-${crypto.randomUUID()}`,
      id_token: await this.idToken(grant),
    });
  }

  private async idToken(grant: Grant): Promise<string> {
    const tamper = this.nextIdToken;
    this.nextIdToken = null;
    if (tamper?.raw !== undefined) return tamper.raw;
    const now = Math.floor(Date.now() / 1000);
    const u = grant.user;
    let claims: JWTPayload = {
      ver: "2.0",
      iss: this.issuerFor(u.tenantId),
      aud: grant.clientId,
      iat: now,
      nbf: now,
      exp: now + 3600,
      nonce: grant.nonce,
      tid: u.tenantId,
      oid: u.objectId,
      sub: `sub-${u.objectId}`,
      name: u.name ?? "",
      preferred_username: u.email ?? "",
      ...(u.email ? { email: u.email } : {}),
    };
    if (tamper?.claims) claims = tamper.claims(claims);
    const key = this.keys[0];
    const header = { alg: "RS256", kid: key.kid, typ: "JWT", ...tamper?.header };
    return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(tamper?.key ?? key.privateKey);
  }
}
