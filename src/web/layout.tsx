/**
 * The signed-in web app's page frame: a top bar (the organization's pages, me, who you are, sign out) and the page. No
 * scripts; one inline stylesheet, allowed by its hash (app.ts lists it for the page headers). hono/jsx escapes every value.
 */
import type { Child } from "hono/jsx";
import type { Viewer } from "../auth/sign-in/session";
import { HtmlDocument } from "./html-document";
import { WEB_CSS } from "./stylesheet";

export type Frame = { viewer: Viewer | null; orgSlug?: string };

/** The organization's pages in the top bar, in the order a person sets things up and then uses them. */
const ORG_PAGES = [
  ["issues/", "Issues"],
  ["projects/", "Projects"],
  ["alerts/rules/", "Alert rules"],
  ["deliveries/", "Deliveries"],
  ["installations/", "Teams installations"],
  ["people/", "People"],
] as const;

export function WebPage(props: { title: string; frame: Frame; children: Child }) {
  const { viewer, orgSlug } = props.frame;
  return (
    <HtmlDocument title={props.title} css={WEB_CSS}>
      <header class="top">
        <a href="/">Issue Alerts</a>
        {viewer && orgSlug ? ORG_PAGES.map(([path, label]) => <a href={`/organizations/${encodeURIComponent(orgSlug)}/${path}`}>{label}</a>) : null}
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
    </HtmlDocument>
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

/** The outcome of the last action on a page (after its POST redirected here): a success, or an error announced as an alert. */
export function Notice(props: { notice: string | { kind: "ok" | "error"; text: string } | undefined }) {
  if (props.notice === undefined) return null;
  const { kind, text } = typeof props.notice === "string" ? { kind: "ok" as const, text: props.notice } : props.notice;
  return (
    <p class={kind} role={kind === "error" ? "alert" : "status"}>
      {text}
    </p>
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
