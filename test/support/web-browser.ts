/**
 * A minimal browser for in-worker tests of the web app: a cookie jar, requests through the worker's own fetch
 * handler (redirects are not followed, so every hop can be checked), and the sign-in dance against the stand-in
 * authority (test/support/sign-in-authority.ts) plugged into the Microsoft stand-in.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { MicrosoftStandIn } from "./microsoft-stand-in";
import { SignInAuthority, type SignInUser } from "./sign-in-authority";
import { dispatch } from "./teams";

export const SITE = "https://alerts.test";
export const AUTHORITY_ORIGIN = "https://login.microsoftonline.test";

const authorities = new WeakMap<MicrosoftStandIn, SignInAuthority>();

/** The stand-in authority, answering the worker's fetch through the Microsoft stand-in (one per stand-in). */
export async function startSignInAuthority(ms: MicrosoftStandIn): Promise<SignInAuthority> {
  const existing = authorities.get(ms);
  if (existing) return existing;
  const authority = await SignInAuthority.start(AUTHORITY_ORIGIN, {
    id: env.MICROSOFT_APP_ID as string,
    secret: env.MICROSOFT_APP_PASSWORD as string,
    redirectUris: [`${SITE}/auth/microsoft/callback`],
  });
  expect(authority.metadataUrl).toBe(env.SIGN_IN_METADATA_URL);
  ms.addRoutes(authority.handle);
  authorities.set(ms, authority);
  return authority;
}

export class Browser {
  readonly cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    headers.set("accept", "text/html");
    const res = await dispatch(new Request(new URL(url, SITE).href, { ...init, headers, redirect: "manual" }));
    // workerd's Headers has getSetCookie(); the workers types in use do not declare it yet.
    for (const line of (res.headers as Headers & { getSetCookie(): string[] }).getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a: string) => /^\s*max-age=0\s*$/i.test(a)) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** A form POST as a browser sends it from one of our pages (Origin is ours unless told otherwise). */
  post(url: string, fields: Record<string, string>, origin: string | null = SITE): Promise<Response> {
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    if (origin) headers.origin = origin;
    return this.fetch(url, { method: "POST", body: new URLSearchParams(fields), headers });
  }

  /** GET /auth/sign-in → the authority (user chosen) → the callback; returns the callback's answer. */
  async signIn(authority: SignInAuthority, user: SignInUser | null, returnTo = "/"): Promise<Response> {
    const start = await this.fetch(`/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
    expect(start.status).toBe(302);
    const callback = await this.authorize(authority, user, start.headers.get("location")!);
    return this.fetch(callback);
  }

  /** The authority's answer to an authorize URL: the callback URL it redirects to. */
  async authorize(authority: SignInAuthority, user: SignInUser | null, authorizeUrl: string): Promise<string> {
    authority.nextUser = user;
    const res = (await authority.handle(new Request(authorizeUrl)))!;
    expect(res.status).toBe(302);
    return res.headers.get("location")!;
  }
}

export function csrfIn(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no csrf field in page: ${html.slice(0, 300)}`);
  return m[1];
}
