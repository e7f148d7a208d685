/**
 * The document every HTML answer of this Worker shares: doctype, charset, phone viewport, no referrer (page URLs can
 * carry signed links), the title with the product's name, and one inline stylesheet. The stylesheet is allowed by its
 * hash (app.ts lists each for the page headers), so it must be passed exactly as that text.
 */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";

export function HtmlDocument(props: { title: string; css: string; children: Child }) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title>{props.title} · Issue Alerts for Microsoft Teams</title>
          <style>{props.css}</style>
        </head>
        <body>{props.children}</body>
      </html>
    </>
  );
}
