/**
 * The sign-in authority stand-in (test/support/sign-in-authority.ts) served over HTTP on 127.0.0.1, so a real browser
 * can open its authorize page as it would open login.microsoftonline.com's. The worker itself reaches the authority
 * through its outbound stand-in; only the browser needs this server.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { SignInAuthority } from "../../support/sign-in-authority";

export type AuthorityServer = { port: number; close(): Promise<void> };

/** `authority` is read per request: the authority is made after this server, as its origin names the port. */
export async function serveAuthority(authority: () => SignInAuthority): Promise<AuthorityServer> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const request = new Request(`${authority().origin}${req.url}`, {
      method: req.method,
      headers: Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : [])),
      body: req.method === "GET" || req.method === "HEAD" || !chunks.length ? undefined : Buffer.concat(chunks),
    });
    const answer = (await authority().handle(request)) ?? new Response("not found", { status: 404 });
    const headers: Record<string, string> = {};
    answer.headers.forEach((value, key) => (headers[key] = value));
    res.writeHead(answer.status, headers);
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A recorded request body: its JSON when it is JSON, else the text. */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
