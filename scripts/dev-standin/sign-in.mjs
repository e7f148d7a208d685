/**
 * The stand-in's sign-in authority: "Sign in with Microsoft" (OpenID Connect, authorization code + PKCE) as the
 * Microsoft identity platform's v2.0 endpoints answer it, for the demo tenant's people (docs/playground.md,
 * "Sign-in authority"). Instead of a password prompt, the authorize endpoint shows a page to pick a demo user.
 *
 *   GET      /{tenant}/v2.0/.well-known/openid-configuration   metadata; for `organizations` / `common` the issuer
 *                                                              is the template <origin>/{tenantid}/v2.0
 *   GET      /{tenant}/discovery/v2.0/keys                     JWKS (its own RSA key, not the Bot Framework's)
 *   GET      /{tenant}/oauth2/v2.0/authorize                   the picker page (or an error page / error redirect)
 *   POST     /{tenant}/oauth2/v2.0/authorize                   the picked user → redirect_uri?code=…&state=…
 *   POST     /{tenant}/oauth2/v2.0/token                       code → { id_token, access_token, … }
 *
 * {tenant} is `organizations`, `common` or the demo tenant's id. The one registered client is the bot's app
 * registration (client id = MICROSOFT_APP_ID, secret = MICROSOFT_APP_PASSWORD), with any redirect URI on the
 * worker's origin. Errors come as Microsoft's do: an error page for a bad client or redirect URI (nothing is
 * sent to an unverified redirect URI), `error` + `error_description` (AADSTS…) on the redirect or in JSON.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { SignJWT } from "jose";

const CODE_LIFETIME_MS = 10 * 60 * 1000;
const TOKEN_LIFETIME_S = 3600;
const ROUTE = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/authorize|oauth2\/v2\.0\/token)$/;

/**
 * @param {{ origin: () => string, key: { kid: string, privateKey: unknown, publicJwk: object },
 *   tenant: { id: string, name: string }, users: { aadObjectId: string, name: string, email: string }[],
 *   client: () => { clientId: string, clientSecret: string, redirectOrigin: string | null } }} opts
 */
export function createSignInAuthority({ origin, key, tenant, users, client }) {
  /** code → what it was issued for; each code is used once. */
  const codes = new Map();
  const stats = { authorizePages: 0, codesIssued: 0, tokensIssued: 0, refused: 0 };

  const tenantOk = (t) => t === "organizations" || t === "common" || t === tenant.id;
  const issuerFor = (t) => (t === tenant.id ? `${origin()}/${tenant.id}/v2.0` : `${origin()}/{tenantid}/v2.0`);

  function metadata(t) {
    const base = `${origin()}/${t}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: issuerFor(t),
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "preferred_username", "name", "tid", "ver", "email", "oid"],
      tenant_region_scope: null,
      cloud_instance_name: "microsoftonline.com",
    };
  }

  /** Checks an authorize request; returns { page } (an error page), { redirectError } or { ok: params }. */
  function checkAuthorize(t, params) {
    const c = client();
    if (!tenantOk(t)) return { page: errorPage(400, "AADSTS90002", `Tenant '${t}' not found.`) };
    if (params.client_id !== c.clientId) {
      return { page: errorPage(400, "AADSTS700016", `Application with identifier '${params.client_id ?? ""}' was not found in the directory '${tenant.name}'.`) };
    }
    if (!params.redirect_uri || !sameOrigin(params.redirect_uri, c.redirectOrigin)) {
      return {
        page: errorPage(400, "AADSTS50011", `The redirect URI '${params.redirect_uri ?? ""}' specified in the request does not match the redirect URIs configured for the application (any URI on ${c.redirectOrigin ?? "the worker's origin"}).`),
      };
    }
    const responseMode = params.response_mode ?? "query";
    if (responseMode !== "query" && responseMode !== "form_post") {
      return { redirectError: ["invalid_request", "AADSTS900144: the stand-in supports response_mode query and form_post."] };
    }
    if (params.response_type !== "code") return { redirectError: ["unsupported_response_type", "AADSTS700054: response_type must be 'code' here."] };
    const scopes = String(params.scope ?? "").split(/\s+/).filter(Boolean);
    if (!scopes.includes("openid")) return { redirectError: ["invalid_request", "AADSTS900144: the request must include the 'openid' scope."] };
    if (params.code_challenge && (params.code_challenge_method ?? "plain") !== "S256") {
      return { redirectError: ["invalid_request", "AADSTS501491: code_challenge_method must be S256."] };
    }
    if (params.prompt === "none") return { redirectError: ["login_required", "AADSTS50058: no user is signed in at the stand-in."] };
    return { ok: { ...params, responseMode, scopes } };
  }

  function redirect(params, answer) {
    const values = { ...answer, ...(params.state !== undefined ? { state: params.state } : {}) };
    if ((params.response_mode ?? "query") === "form_post") {
      const fields = Object.entries(values).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join("");
      return html(200, `<!doctype html><html><head><meta charset="utf-8"><title>Signing in…</title></head><body onload="document.forms[0].submit()"><form method="post" action="${esc(params.redirect_uri)}">${fields}<noscript><button>Continue</button></noscript></form></body></html>`);
    }
    const to = new URL(params.redirect_uri);
    for (const [k, v] of Object.entries(values)) to.searchParams.set(k, v);
    return { status: 302, headers: { location: to.toString(), "cache-control": "no-store" }, body: "" };
  }

  function pickerPage(t, params) {
    stats.authorizePages++;
    const hidden = Object.entries(params)
      .filter(([k]) => k !== "user")
      .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
      .join("");
    const action = `/${encodeURIComponent(t)}/oauth2/v2.0/authorize`;
    const people = users
      .map(
        (u) => `<li><form method="post" action="${action}">${hidden}<input type="hidden" name="user" value="${esc(u.aadObjectId)}">
<button type="submit" data-user="${esc(u.email)}"><span class="avatar">${esc(initials(u.name))}</span><span><strong>${esc(u.name)}</strong><br><small>${esc(u.email)}</small></span></button></form></li>`,
      )
      .join("\n");
    return html(
      200,
      page(
        "Pick an account",
        `<h1>Pick an account</h1>
<p>Sign in to <strong>Issue Alerts</strong> as one of the people of <strong>${esc(tenant.name)}</strong>.</p>
<ul class="accounts">${people}</ul>
<form method="post" action="${action}">${hidden}<input type="hidden" name="user" value="">
<button type="submit" class="link" name="cancel" value="1">Cancel</button></form>
<p class="note">This is the local Microsoft stand-in of <code>npm start</code>: no password, no Microsoft account.
The worker gets an id_token signed by the stand-in, exactly as Microsoft would send it.</p>`,
      ),
    );
  }

  async function token(t, form, authorization) {
    const fail = (status, error, description) => {
      stats.refused++;
      return json(status, { error, error_description: description, error_codes: [Number(description.slice(6, description.indexOf(":")))], timestamp: new Date().toISOString().replace("T", " ").slice(0, 19), trace_id: randomUUID(), correlation_id: randomUUID() });
    };
    if (!tenantOk(t)) return fail(400, "invalid_request", `AADSTS90002: Tenant '${t}' not found.`);
    let { client_id: clientId, client_secret: clientSecret } = form;
    if (authorization?.startsWith("Basic ")) {
      const [id, secret] = Buffer.from(authorization.slice(6), "base64").toString("utf8").split(":");
      clientId = decodeURIComponent(id ?? "");
      clientSecret = decodeURIComponent(secret ?? "");
    }
    if (form.grant_type !== "authorization_code") return fail(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.");
    const c = client();
    if (clientId !== c.clientId) return fail(400, "unauthorized_client", `AADSTS700016: Application with identifier '${clientId ?? ""}' was not found.`);
    if (!clientSecret || clientSecret !== c.clientSecret) return fail(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
    const issued = form.code ? codes.get(form.code) : undefined;
    if (!issued || issued.clientId !== clientId) return fail(400, "invalid_grant", "AADSTS70000: The provided authorization code is invalid.");
    codes.delete(form.code); // one use, even when the rest of the request is wrong
    if (issued.expiresAt < Date.now()) return fail(400, "invalid_grant", "AADSTS70008: The provided authorization code has expired.");
    if (form.redirect_uri !== issued.redirectUri) return fail(400, "invalid_grant", "AADSTS70000: redirect_uri does not match the one of the authorization request.");
    if (issued.codeChallenge) {
      const verifier = form.code_verifier ?? "";
      const computed = createHash("sha256").update(verifier).digest("base64url");
      if (!verifier || computed !== issued.codeChallenge) return fail(400, "invalid_grant", "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.");
    }
    const user = issued.user;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      ver: "2.0",
      tid: tenant.id,
      oid: user.aadObjectId,
      sub: createHash("sha256").update(`${clientId}|${user.aadObjectId}`).digest("base64url").slice(0, 43),
      name: user.name,
      preferred_username: user.email,
      ...(issued.scopes.includes("email") ? { email: user.email } : {}),
      ...(issued.nonce ? { nonce: issued.nonce } : {}),
      uti: randomBytes(16).toString("base64url"),
    };
    const idToken = await new SignJWT(claims)
      .setProtectedHeader({ typ: "JWT", alg: "RS256", kid: key.kid })
      .setIssuer(`${origin()}/${tenant.id}/v2.0`)
      .setAudience(clientId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + TOKEN_LIFETIME_S)
      .sign(key.privateKey);
    stats.tokensIssued++;
    return json(200, {
      token_type: "Bearer",
      scope: issued.scopes.join(" "),
      expires_in: TOKEN_LIFETIME_S,
      ext_expires_in: TOKEN_LIFETIME_S,
      access_token: `standin-access-${randomBytes(24).toString("base64url")}`,
      id_token: idToken,
    });
  }

  return {
    stats,
    metadataUrl: (t = "organizations") => `${origin()}/${t}/v2.0/.well-known/openid-configuration`,
    /** Answers a request of the authority, or returns null when the path is not one of its routes. */
    async handle(method, url, body, headers) {
      const m = ROUTE.exec(url.pathname);
      if (!m) return null;
      const t = decodeURIComponent(m[1]);
      const route = m[2];
      if (route.endsWith("openid-configuration") && method === "GET") {
        return tenantOk(t) ? json(200, metadata(t)) : json(400, { error: "invalid_tenant", error_description: `AADSTS90002: Tenant '${t}' not found.` });
      }
      if (route.endsWith("keys") && method === "GET") return json(200, { keys: [key.publicJwk] });
      if (route.endsWith("authorize") && (method === "GET" || method === "POST")) {
        const params = method === "GET" ? Object.fromEntries(url.searchParams) : Object.fromEntries(new URLSearchParams(body.toString("utf8")));
        const checked = checkAuthorize(t, params);
        if (checked.page) return checked.page;
        if (checked.redirectError) return redirect(params, { error: checked.redirectError[0], error_description: checked.redirectError[1] });
        if (method === "GET") return pickerPage(t, params);
        if (params.cancel || !params.user) return redirect(params, { error: "access_denied", error_description: "AADSTS65004: The user declined to sign in." });
        const user = users.find((u) => u.aadObjectId === params.user);
        if (!user) return pickerPage(t, params);
        const code = randomBytes(32).toString("base64url");
        codes.set(code, {
          clientId: params.client_id,
          redirectUri: params.redirect_uri,
          codeChallenge: params.code_challenge ?? null,
          nonce: params.nonce ?? null,
          scopes: checked.ok.scopes,
          user,
          expiresAt: Date.now() + CODE_LIFETIME_MS,
        });
        stats.codesIssued++;
        return redirect(params, { code });
      }
      if (route.endsWith("token") && method === "POST") {
        if (!String(headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
          return json(400, { error: "invalid_request", error_description: "AADSTS900144: the body must be application/x-www-form-urlencoded." });
        }
        return token(t, Object.fromEntries(new URLSearchParams(body.toString("utf8"))), headers.authorization);
      }
      return json(405, { error: "invalid_request", error_description: `AADSTS900561: ${method} is not supported here.` });
    },
  };
}

function sameOrigin(uri, origin) {
  if (!origin) return false;
  try {
    return new URL(uri).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}

function initials(name) {
  return name
    .split(/\s+/)
    .map((w) => w[0] ?? "")
    .join("")
    .slice(0, 2)
    .toUpperCase();
}

function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function json(status, value) {
  return { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }, body: JSON.stringify(value) };
}

function html(status, text) {
  return { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }, body: text };
}

function errorPage(status, code, message) {
  return html(status, page("Sign in failed", `<h1>Sorry, but we're having trouble signing you in.</h1><p class="error"><strong>${esc(code)}</strong>: ${esc(message)}</p><p class="note">Local Microsoft stand-in of <code>npm start</code>.</p>`));
}

function page(title, content) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Microsoft stand-in</title>
<style>
  body { font-family: "Segoe UI", system-ui, sans-serif; background: #f2f2f2; color: #1b1b1b; margin: 0; }
  main { max-width: 440px; margin: 8vh auto; background: #fff; padding: 32px 40px; box-shadow: 0 2px 6px rgba(0,0,0,.2); }
  h1 { font-size: 22px; font-weight: 600; margin: 0 0 12px; }
  ul.accounts { list-style: none; padding: 0; margin: 16px 0; }
  ul.accounts li { border-top: 1px solid #e6e6e6; } ul.accounts li:last-child { border-bottom: 1px solid #e6e6e6; }
  ul.accounts button { display: flex; gap: 12px; align-items: center; width: 100%; padding: 12px 4px; border: 0; background: none; font: inherit; text-align: left; cursor: pointer; }
  ul.accounts button:hover, ul.accounts button:focus { background: #f3f2f1; }
  .avatar { width: 36px; height: 36px; border-radius: 50%; background: #5b5fc7; color: #fff; display: inline-flex; align-items: center; justify-content: center; font-weight: 600; font-size: 14px; }
  small { color: #605e5c; }
  button.link { border: 0; background: none; color: #0067b8; cursor: pointer; padding: 0; font: inherit; }
  .note { font-size: 12px; color: #605e5c; margin-top: 20px; } .error { color: #a4262c; }
</style></head>
<body><main>${content}</main></body></html>`;
}
