/**
 * Failures of the web sign-in, one class each. Pages render them as a page that says what happened and what to
 * do (never the authority's own error text); none of them is a 500.
 */
import { AppError } from "../../errors";

/** Why an id_token was refused (one code per check of verifyIdToken). */
export type IdTokenFailure =
  | "malformed"
  | "bad_alg"
  | "unknown_key"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_audience"
  | "missing_claims"
  | "wrong_issuer"
  | "wrong_nonce";

/** The id_token failed a check: the sign-in is refused. */
export class IdTokenRejectedError extends AppError {
  readonly status = 401;
  readonly code: string;
  constructor(readonly reason: IdTokenFailure) {
    super("The sign-in could not be verified.");
    this.code = `id_token_${reason}`;
  }
}

/** The callback does not belong to a sign-in this browser started, or it was already used (state, cookie). */
export class SignInStateError extends AppError {
  readonly status = 400;
  readonly code: string;
  constructor(readonly reason: "no_flow" | "state_mismatch" | "replayed") {
    super("This sign-in was not started here, has expired or was already used.");
    this.code = `sign_in_${reason}`;
  }
}

/** The authority answered the callback with an error (the person cancelled, consent missing, ...). */
export class SignInDeniedError extends AppError {
  readonly status = 401;
  readonly code = "sign_in_denied";
  constructor(readonly authorityError: string) {
    super("Microsoft did not sign you in.");
  }
}

/** The authority could not be reached or answered nonsense (metadata, keys, token endpoint). */
export class AuthorityUnavailableError extends AppError {
  readonly status = 502;
  readonly code = "sign_in_authority_unavailable";
}
