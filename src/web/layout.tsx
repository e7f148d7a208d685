/**
 * The signed-in web app's page frame: a top bar (issues, projects, people, me, who you are, sign out) and the page. No
 * scripts; one inline stylesheet, allowed by its hash (app.ts lists it for the page headers). hono/jsx escapes every value.
 */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { Viewer } from "../auth/sign-in/session";
import { WEB_CSS } from "./stylesheet";

export type Frame = { viewer: Viewer | null; orgSlug?: string };

export function WebPage(props: { title: string; frame: Frame; children: Child }) {
  const { viewer, orgSlug } = props.frame;
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{props.title} · Issue Alerts for Microsoft Teams</title>
        <style>{WEB_CSS}</style>
      </head>
      <body>
        <header class="top">
          <a href="/">Issue Alerts</a>
          {viewer && orgSlug ? <a href={`/organizations/${encodeURIComponent(orgSlug)}/issues/`}>Issues</a> : null}
          {viewer && orgSlug ? <a href={`/organizations/${encodeURIComponent(orgSlug)}/projects/`}>Projects</a> : null}
          {viewer && orgSlug ? <a href={`/organizations/${encodeURIComponent(orgSlug)}/alerts/rules/`}>Alert rules</a> : null}
          {viewer && orgSlug ? <a href={`/organizations/${encodeURIComponent(orgSlug)}/deliveries/`}>Deliveries</a> : null}
          {viewer && orgSlug ? <a href={`/organizations/${encodeURIComponent(orgSlug)}/installations/`}>Teams installations</a> : null}
          {viewer && orgSlug ? <a href={`/organizations/${encodeURIComponent(orgSlug)}/people/`}>People</a> : null}
          {viewer ? <a href="/me/">Me</a> : null}
          {viewer ? (
            <span class="who">
              {viewer.name || viewer.email}{" "}
              <form method="post" action="/auth/sign-out">
                <input type="hidden" name="csrf" value={viewer.csrfToken} />
                <button type="submit">Sign out</button>
              </form>
            </span>
          ) : null}
        </header>
        <main>{props.children}</main>
        <footer class="site">
          <a href="/about">About</a> · <a href="/privacy">Privacy</a> · <a href="/terms">Terms</a>
        </footer>
      </body>
      </html>
    </>
  );
}

/** A page with one message (refusals, confirmations), announced to screen readers. */
export function MessagePage(props: { title: string; frame: Frame; kind: "ok" | "error"; children: Child }) {
  return (
    <WebPage title={props.title} frame={props.frame}>
      <h1>{props.title}</h1>
      <div class={props.kind} role={props.kind === "error" ? "alert" : "status"}>
        {props.children}
      </div>
    </WebPage>
  );
}

/** A POST form carrying the session's CSRF token. */
export function SessionForm(props: { viewer: Viewer; action: string; children: Child; label?: string }) {
  return (
    <form method="post" action={props.action} aria-label={props.label}>
      <input type="hidden" name="csrf" value={props.viewer.csrfToken} />
      {props.children}
    </form>
  );
}
