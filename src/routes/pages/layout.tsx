/** Plain, accessible HTML for the setup and link pages: no scripts, no external assets, no secrets (and a strict CSP). */
import type { Child } from "hono/jsx";
import { HtmlDocument } from "../../web/html-document";

/**
 * The pages' only stylesheet, inline. The Content-Security-Policy allows it by its hash (src/http/page-headers.ts,
 * applied in app.ts), so it must be rendered exactly as this text.
 */
export const PAGE_STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
label{display:block;margin:1rem 0 .25rem;font-weight:600}input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{margin-top:1.25rem;padding:.6rem 1.2rem;font:inherit;background:#464775;color:#fff;border:0;border-radius:4px;cursor:pointer}
.error{color:#a4262c}.ok{color:#107c10}p.hint{color:#555;font-size:.9rem}`;

export function Page(props: { title: string; children: Child }) {
  return (
    <HtmlDocument title={props.title} css={PAGE_STYLE}>
      <main>
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </HtmlDocument>
  );
}

export function Message(props: { title: string; kind: "ok" | "error"; text: string }) {
  return (
    <Page title={props.title}>
      <p class={props.kind} role={props.kind === "error" ? "alert" : "status"}>
        {props.text}
      </p>
    </Page>
  );
}

/** An error line announced to screen readers, or nothing. */
export function ErrorNote(props: { text?: string }) {
  return props.text ? (
    <p class="error" role="alert">
      {props.text}
    </p>
  ) : null;
}

/** A POST form carrying the CSRF token bound to the signed link. */
export function CsrfForm(props: { csrf: string; children: Child }) {
  return (
    <form method="post">
      <input type="hidden" name="csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}
