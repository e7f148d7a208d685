/** GET /: what this is, and the way in (sign in with Microsoft), or the viewer's organizations. */
import type { Viewer } from "../auth/sign-in/session";
import { WebPage } from "./layout";

export function LandingPage(props: { viewer: Viewer | null; organizations: { slug: string; role: "member" | "admin" }[] }) {
  const { viewer } = props;
  return (
    <WebPage title="Issue alerts for Microsoft Teams" frame={{ viewer }}>
      <h1>Issue alerts for Microsoft Teams</h1>
      <p>
        Your apps report errors here (any Sentry SDK, or a small JSON API). Errors become issues; alert rules post cards to Teams
        channels, where your team resolves, ignores and assigns them. Every card stays up to date.
      </p>
      {viewer ? (
        <>
          <h2>Your organizations</h2>
          {props.organizations.length ? (
            <ul>
              {props.organizations.map((o) => (
                <li>
                  <a href={`/organizations/${encodeURIComponent(o.slug)}/issues/`}>{o.slug}</a> {o.role === "admin" ? "(admin)" : ""} ·{" "}
                  <a href={`/organizations/${encodeURIComponent(o.slug)}/projects/`}>projects</a> ·{" "}
                  <a href={`/organizations/${encodeURIComponent(o.slug)}/people/`}>people</a>
                </li>
              ))}
            </ul>
          ) : (
            <p>You are not a member of any organization yet. Ask an admin to add you.</p>
          )}
        </>
      ) : (
        <p>
          <a class="button" href="/auth/sign-in">
            Sign in with Microsoft
          </a>
        </p>
      )}
      {viewer ? (
        <p class="hint">
          <a href="/me/">Your settings</a> · <a href="/about">About this service</a>
        </p>
      ) : (
        <p class="hint">
          Sign in with the work account you use in Teams. New here? An admin of your organization invites you (People page), or lets people
          of your Microsoft tenant join. <a href="/about">More about this service</a>.
        </p>
      )}
    </WebPage>
  );
}

export function NotFoundPage(props: { viewer: Viewer | null }) {
  return (
    <WebPage title="Not found" frame={{ viewer: props.viewer }}>
      <h1>Not found</h1>
      <p>There is no such page, or you do not have access to it.</p>
      <p>
        <a href="/">Start page</a>
      </p>
    </WebPage>
  );
}

/** The 404 page for a path no route knows (app.notFound), rendered once. */
export const notFoundHtml = String(<NotFoundPage viewer={null} />);
