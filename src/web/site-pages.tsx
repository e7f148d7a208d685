/**
 * The public pages the Teams app package names (developer.websiteUrl, privacyUrl, termsOfUseUrl): what this is,
 * what it stores, and the terms. Served by this Worker, readable signed out. They describe this deployment: the
 * organization that runs it is the operator; nothing goes to the software's authors.
 */
import type { Viewer } from "../auth/sign-in/session";
import { WebPage } from "./layout";

export function AboutPage(props: { viewer: Viewer | null }) {
  return (
    <WebPage title="About" frame={{ viewer: props.viewer }}>
      <h1>Issue Alerts for Microsoft Teams</h1>
      <p>
        Error tracking that lives in Teams. Your applications report errors here, with any official Sentry SDK (Node.js, browser JavaScript,
        Python, …) or a small JSON API. Errors with the same cause are grouped into issues; alert rules post a card to a Teams channel when
        an issue is new, comes back after it was resolved, or suddenly happens much more often.
      </p>
      <h2>What you can do</h2>
      <ul>
        <li>Resolve, ignore or assign an issue from its card in Teams; the card updates for everyone, everywhere it was posted.</li>
        <li>Open the issue page from the card: the stack trace, breadcrumbs, tags, releases and who did what.</li>
        <li>Get a personal message when an issue is assigned to you, or an issue you resolved comes back.</li>
        <li>Set up projects, DSNs, alert rules and people in this web app, signed in with your Microsoft work account.</li>
      </ul>
      <h2>Getting started</h2>
      <ol>
        <li>An admin adds the Teams app to a team and connects it to your organization (the bot's welcome card leads there).</li>
        <li>Create a project and give its DSN to your app's Sentry SDK (the project page shows the snippet).</li>
        <li>Add an alert rule that posts to a channel.</li>
      </ol>
      <p>
        {props.viewer ? (
          <a class="button" href="/">
            Your organizations
          </a>
        ) : (
          <a class="button" href="/auth/sign-in">
            Sign in with Microsoft
          </a>
        )}
      </p>
    </WebPage>
  );
}

export function PrivacyPage(props: { viewer: Viewer | null }) {
  return (
    <WebPage title="Privacy" frame={{ viewer: props.viewer }}>
      <h1>Privacy</h1>
      <p>
        This service is run by the organization that deployed it (the operator), on its own Cloudflare account. The operator decides what it is
        used for and answers questions about your data: ask an admin of your organization. Nothing is sent to the authors of the software.
      </p>
      <h2>What is stored about people</h2>
      <ul>
        <li>Your email address and name, your role in organizations and teams.</li>
        <li>When you sign in with Microsoft: your tenant id and object id (to recognize you next time), and a session of at most 12 hours (only a hash of its id, your browser's user agent).</li>
        <li>When you link Teams: your Teams user id in each connected team, and the personal chat the bot writes to.</li>
        <li>What you do: resolving, ignoring and assigning issues is recorded with your name in the issue's activity log.</li>
        <li>Your notification settings, the projects you follow, and a hash of each personal API token (never the token).</li>
      </ul>
      <h2>What your applications send</h2>
      <p>
        Error reports as your applications' SDKs send them: messages, stack traces, tags, the request and any user details the application
        adds (an SDK may send the user's IP address). Per issue, a sample of events is kept (the first, those of regressions, the latest ten);
        the rest is counted, not kept. Which data an application sends is up to that application.
      </p>
      <h2>Who else processes it</h2>
      <ul>
        <li>Cloudflare hosts the service and its storage for the operator.</li>
        <li>Microsoft delivers the cards to Teams (they contain the issue's title, counts and links) and performs the sign-in.</li>
      </ul>
      <h2>Cookies</h2>
      <p>Only the ones sign-in needs: the session cookie and, for ten minutes during a sign-in, one holding its state. No analytics, no tracking, no scripts.</p>
      <h2>Removing data</h2>
      <p>
        Unlink your Teams accounts on your <a href="/me/">Me</a> page. An admin of your organization can remove you from it; ask the operator to
        delete your account or an application's events.
      </p>
    </WebPage>
  );
}

export function TermsPage(props: { viewer: Viewer | null }) {
  return (
    <WebPage title="Terms of use" frame={{ viewer: props.viewer }}>
      <h1>Terms of use</h1>
      <p>
        This service is provided by the organization that runs it (the operator) to the people it adds. By signing in or using the Teams app
        you agree to use it for tracking and handling errors of the applications you are responsible for, and to follow your organization's
        rules.
      </p>
      <ul>
        <li>Keep DSNs and API tokens to the applications and scripts that need them; revoke them when they leak.</li>
        <li>Do not send data to it that your organization does not allow to be stored there (for example secrets or special categories of personal data).</li>
        <li>The operator may remove accounts, projects and data, and may change or stop the service.</li>
        <li>The service is provided as is, without warranty; alerts can be late or missed, so do not rely on it as your only monitoring.</li>
      </ul>
      <p>
        See also the <a href="/privacy">privacy page</a>.
      </p>
    </WebPage>
  );
}
