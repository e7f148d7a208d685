/** Form pieces shared by the web app's pages: a labelled field with its error next to it, a confirmation box. */
import type { Child } from "hono/jsx";
import type { FieldErrors } from "./form-errors";

/** The field's error (from the admin API's schema), tied to the input by `aria-describedby`. */
export function FieldError(props: { errors?: FieldErrors; name: string; id: string }) {
  const message = props.errors?.[props.name];
  return message ? (
    <p class="error field-error" id={`${props.id}-error`} role="alert">
      {message}
    </p>
  ) : null;
}

export function TextField(props: {
  id: string;
  name: string;
  label: string;
  value?: string;
  errors?: FieldErrors;
  hint?: Child;
  required?: boolean;
  maxlength?: number;
  type?: "text" | "email";
  placeholder?: string;
}) {
  const invalid = Boolean(props.errors?.[props.name]);
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value ?? ""}
        required={props.required}
        maxlength={props.maxlength}
        placeholder={props.placeholder}
        aria-invalid={invalid ? "true" : undefined}
        aria-describedby={invalid ? `${props.id}-error` : undefined}
      />
      {props.hint ? <p class="hint">{props.hint}</p> : null}
      <FieldError errors={props.errors} name={props.name} id={props.id} />
    </>
  );
}

/** A required "I understand" checkbox: destructive forms work without scripts and still ask first. */
export function ConfirmBox(props: { id: string; label: string; errors?: FieldErrors }) {
  return (
    <>
      <p class="confirm">
        <input type="checkbox" id={props.id} name="confirm" value="on" required /> <label for={props.id} class="inline">{props.label}</label>
      </p>
      <FieldError errors={props.errors} name="confirm" id={props.id} />
    </>
  );
}
