/** The pages of "Link your Teams account" / "Unlink" by signing in with Microsoft. Pure builders. */
import type { Viewer } from "../auth/sign-in/session";
import { MessagePage, SessionForm, WebPage } from "./layout";

export type LinkPurpose = "link" | "unlink";

const TITLES: Record<LinkPurpose, string> = { link: "Link your Teams account", unlink: "Unlink your Teams account" };

function signInHref(purpose: LinkPurpose, token: string): string {
  return `/auth/sign-in?returnTo=${encodeURIComponent(`/${purpose}/${token}`)}`;
}

/** Signed out: sign in with the Teams account first. */
export function LinkSignInPage(props: { purpose: LinkPurpose; token: string }) {
  return (
    <WebPage title={TITLES[props.purpose]} frame={{ viewer: null }}>
      <h1>{TITLES[props.purpose]}</h1>
      <p>
        {props.purpose === "link"
          ? "Link your Microsoft Teams account to Issue Alerts, so you can resolve, ignore and assign issues from Teams."
          : "After unlinking, actions on issue cards in Teams will ask you to link again."}
      </p>
      <p>Sign in with the same Microsoft work account you use in Teams: that proves the Teams account is yours.</p>
      <p>
        <a class="button" href={signInHref(props.purpose, props.token)}>
          Sign in with Microsoft
        </a>
      </p>
    </WebPage>
  );
}

/** Signed in as the Teams account: one button does it. */
export function LinkConfirmPage(props: { purpose: LinkPurpose; token: string; viewer: Viewer; organizations: string[] }) {
  const { purpose, viewer } = props;
  return (
    <WebPage title={TITLES[purpose]} frame={{ viewer }}>
      <h1>{TITLES[purpose]}</h1>
      {purpose === "link" ? (
        <p>
          Link your Teams account to <strong>{viewer.email}</strong> in {props.organizations.join(", ")}.
        </p>
      ) : (
        <p>Unlink your Teams account from {viewer.email}? Actions on issue cards in Teams will ask you to link again.</p>
      )}
      <SessionForm viewer={viewer} action={`/${purpose}/${props.token}`}>
        <button type="submit">{purpose === "link" ? "Link account" : "Unlink account"}</button>
      </SessionForm>
    </WebPage>
  );
}

/** Signed in, but not as the Teams account the link was made for: nothing is linked. */
export function OtherAccountPage(props: { purpose: LinkPurpose; token: string; viewer: Viewer }) {
  return (
    <MessagePage title="Another Microsoft account" frame={{ viewer: props.viewer }} kind="error">
      <p>
        You are signed in as <strong>{props.viewer.email}</strong>, which is not the Microsoft account you use in Teams, so nothing was{" "}
        {props.purpose === "link" ? "linked" : "unlinked"}.
      </p>
      <p>
        <a href={signInHref(props.purpose, props.token)}>Sign in with your Teams account</a> and try again.
      </p>
    </MessagePage>
  );
}
