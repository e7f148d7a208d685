/**
 * The projects pages: an organization's projects (admins create one), and a project's page with its DSN, ingest
 * keys (add, rotate, revoke), releases and SDK snippets with the real DSN filled in. Pure builders.
 */
import type { Viewer } from "../auth/sign-in/session";
import type { MembershipRole, OrganizationRow } from "../db/organizations";
import type { ProjectKeyRow, ProjectRow } from "../db/projects";
import type { ReleaseRow } from "../db/releases";
import { ConfirmBox, FieldError, TextField } from "./fields";
import type { FieldErrors } from "./form-errors";
import { utcText } from "./format";
import { Notice, SessionForm, WebPage } from "./layout";

type Org = Pick<OrganizationRow, "slug" | "name">;

export function projectsPath(orgSlug: string): string {
  return `/organizations/${encodeURIComponent(orgSlug)}/projects/`;
}

export function projectPath(orgSlug: string, projectSlug: string): string {
  return `${projectsPath(orgSlug)}${encodeURIComponent(projectSlug)}/`;
}

export function ProjectsPage(props: {
  viewer: Viewer;
  org: Org;
  role: MembershipRole;
  projects: ProjectRow[];
  errors?: FieldErrors;
  values?: Record<string, string | undefined>;
}) {
  const { viewer, org } = props;
  return (
    <WebPage title={`Projects · ${org.name}`} frame={{ viewer, orgSlug: org.slug }}>
      <h1>Projects · {org.name}</h1>
      <p>A project is one app that reports errors. Each has a DSN for the Sentry SDKs and its own alert rules.</p>
      {props.projects.length ? (
        <table class="stack">
          <tr>
            <th scope="col">Project</th>
            <th scope="col">Slug</th>
            <th scope="col">Short ids</th>
            <th scope="col">Created</th>
          </tr>
          {props.projects.map((p) => (
            <tr>
              <td>
                <a href={projectPath(org.slug, p.slug)}>{p.name}</a>
              </td>
              <td data-label="Slug">{p.slug}</td>
              <td data-label="Short ids">{p.shortIdPrefix}-…</td>
              <td data-label="Created">{utcText(p.createdAt)}</td>
            </tr>
          ))}
        </table>
      ) : (
        <p>No projects yet.</p>
      )}
      {props.role === "admin" ? (
        <div class="card">
          <h2>New project</h2>
          <SessionForm viewer={viewer} action={projectsPath(org.slug)} label="New project">
            <FieldError errors={props.errors} name="form" id="project" />
            <TextField id="project-slug" name="slug" label="Slug" value={props.values?.slug} errors={props.errors} required maxlength={50} hint="Lower-case letters, digits and dashes, e.g. api-server. It is in the project's URLs." />
            <TextField id="project-name" name="name" label="Name (optional)" value={props.values?.name} errors={props.errors} maxlength={200} hint="Shown on cards and pages; the slug when empty." />
            <TextField id="project-prefix" name="shortIdPrefix" label="Short id prefix (optional)" value={props.values?.shortIdPrefix} errors={props.errors} maxlength={10} hint="Issues read PREFIX-1A; from the slug when empty." />
            <button type="submit">Create project</button>
          </SessionForm>
        </div>
      ) : (
        <p class="hint">Only admins create projects.</p>
      )}
    </WebPage>
  );
}

export type ProjectPageErrors = { form: "key" | "rotate" | "release" | `revoke-${number}`; fields: FieldErrors };

export function ProjectPage(props: {
  viewer: Viewer;
  org: Org;
  role: MembershipRole;
  project: ProjectRow;
  keys: { key: ProjectKeyRow; dsn: string }[];
  releases: ReleaseRow[];
  following: boolean;
  notice?: string;
  errors?: ProjectPageErrors;
  values?: Record<string, string | undefined>;
}) {
  const { viewer, org, project } = props;
  const isAdmin = props.role === "admin";
  const base = projectPath(org.slug, project.slug);
  const live = props.keys.filter((k) => k.key.revokedAt === null);
  const dsn = live[0]?.dsn ?? null;
  const errorsOf = (form: ProjectPageErrors["form"]) => (props.errors?.form === form ? props.errors.fields : undefined);
  return (
    <WebPage title={`${project.name} · ${org.name}`} frame={{ viewer, orgSlug: org.slug }}>
      <p class="hint">
        <a href={projectsPath(org.slug)}>Projects</a> · {org.name}
      </p>
      <h1>{project.name}</h1>
      <Notice notice={props.notice} />
      <dl class="meta">
        <dt>Slug</dt>
        <dd>{project.slug}</dd>
        <dt>Short ids</dt>
        <dd>{project.shortIdPrefix}-…</dd>
        <dt>Rate limit</dt>
        <dd>{project.rateLimitPerMinute ? `${project.rateLimitPerMinute} events a minute` : "none"}</dd>
        <dt>Issues</dt>
        <dd>
          <a href={`/organizations/${encodeURIComponent(org.slug)}/issues/?project=${encodeURIComponent(project.slug)}`}>This project's issues</a>
        </dd>
        <dt>Following</dt>
        <dd>
          <SessionForm viewer={viewer} action={`${base}follow`} label={props.following ? "Stop following" : "Follow"}>
            {props.following ? "Yes: its new issues come to your personal Teams chat. " : "No. "}
            <input type="hidden" name="follow" value={props.following ? "off" : "on"} />
            <button type="submit" class="secondary small">
              {props.following ? "Stop following" : "Follow"}
            </button>
          </SessionForm>
        </dd>
      </dl>

      <h2>DSN</h2>
      {dsn ? (
        <>
          <p>Give this to a Sentry SDK (any official one) and its errors become issues here:</p>
          <pre class="copy" id="dsn">
            {dsn}
          </pre>
          <h3>Node.js (@sentry/node)</h3>
          <pre class="copy" data-snippet="node">{`npm install @sentry/node

// first thing in your app's entry point
const Sentry = require("@sentry/node");
Sentry.init({ dsn: "${dsn}", release: process.env.RELEASE, environment: "production" });`}</pre>
          <h3>Browser (@sentry/browser)</h3>
          <pre class="copy" data-snippet="browser">{`npm install @sentry/browser

import * as Sentry from "@sentry/browser";
Sentry.init({ dsn: "${dsn}" });`}</pre>
          <h3>Python (sentry-sdk)</h3>
          <pre class="copy" data-snippet="python">{`pip install sentry-sdk

import sentry_sdk
sentry_sdk.init(dsn="${dsn}")`}</pre>
        </>
      ) : (
        <p class="error">Every key of this project is revoked: nothing can report to it until an admin adds a key.</p>
      )}

      <h2>Ingest keys</h2>
      <p class="hint">A DSN is its key. Events sent with a revoked key are refused (within 30 seconds of the revocation).</p>
      <table class="stack">
        <tr>
          <th scope="col">Label</th>
          <th scope="col">DSN</th>
          <th scope="col">Created</th>
          <th scope="col">State</th>
        </tr>
        {props.keys.map(({ key, dsn: keyDsn }) => {
          const formId = `revoke-${key.id}` as const;
          return (
            <tr>
              <td data-label="Label">{key.label}</td>
              <td data-label="DSN">
                <code class="copy">{keyDsn}</code>
              </td>
              <td data-label="Created">{utcText(key.createdAt)}</td>
              <td data-label="State">
                {key.revokedAt !== null ? (
                  `Revoked ${utcText(key.revokedAt)}`
                ) : isAdmin ? (
                  <SessionForm viewer={viewer} action={`${base}keys/${key.id}/revoke`} label={`Revoke key ${key.label}`}>
                    <ConfirmBox id={`confirm-revoke-${key.id}`} label="Apps using this DSN stop reporting" errors={errorsOf(formId)} />
                    <button type="submit" class="danger">
                      Revoke
                    </button>
                  </SessionForm>
                ) : (
                  "Active"
                )}
              </td>
            </tr>
          );
        })}
      </table>
      {isAdmin ? (
        <div class="forms">
          <div class="card">
            <h3>Add a key</h3>
            <p class="hint">The other keys keep working (for a gradual switch).</p>
            <SessionForm viewer={viewer} action={`${base}keys`} label="Add a key">
              <input type="hidden" name="action" value="add" />
              <TextField id="key-label" name="label" label="Label" value={props.values?.label} errors={errorsOf("key")} maxlength={100} placeholder="default" />
              <button type="submit">Add key</button>
            </SessionForm>
          </div>
          <div class="card">
            <h3>Rotate</h3>
            <p class="hint">A new key, and every other key of this project is revoked at the same moment.</p>
            <SessionForm viewer={viewer} action={`${base}keys`} label="Rotate keys">
              <input type="hidden" name="action" value="rotate" />
              <TextField id="rotate-label" name="label" label="Label" value={props.values?.rotateLabel} errors={errorsOf("rotate")} maxlength={100} placeholder="default" />
              <ConfirmBox id="confirm-rotate" label="Revoke the others: apps still using them stop reporting" errors={errorsOf("rotate")} />
              <button type="submit" class="danger">
                Rotate keys
              </button>
            </SessionForm>
          </div>
        </div>
      ) : null}

      <h2>Releases</h2>
      <p class="hint">The newest release is the "current release" when an issue is resolved in the current release. SDKs create releases too (the event's release).</p>
      {props.releases.length ? (
        <table>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Created</th>
          </tr>
          {props.releases.map((r) => (
            <tr>
              <td>{r.version}</td>
              <td>{utcText(r.createdAt)}</td>
            </tr>
          ))}
        </table>
      ) : (
        <p>No releases yet.</p>
      )}
      {isAdmin ? (
        <SessionForm viewer={viewer} action={`${base}releases`} label="Add a release">
          <TextField id="release-version" name="version" label="New release" value={props.values?.version} errors={errorsOf("release")} required maxlength={200} placeholder="api@1.4.2" />
          <button type="submit">Add release</button>
        </SessionForm>
      ) : null}
    </WebPage>
  );
}
