/**
 * An organization's people: members and roles, teams and their members, invitations by email. Members read;
 * admins get the forms. Pure builder.
 */
import type { Viewer } from "../auth/sign-in/session";
import type { InvitationView } from "../db/invitations";
import type { MemberRow, MembershipRole, OrganizationRow } from "../db/organizations";
import type { TeamMemberRow, OrgTeamRow } from "../db/org-teams";
import { ConfirmBox, FieldError, TextField } from "./fields";
import type { FieldErrors } from "./form-errors";
import { utcText } from "./format";
import { Notice, SessionForm, WebPage } from "./layout";

export function peoplePath(orgSlug: string): string {
  return `/organizations/${encodeURIComponent(orgSlug)}/people/`;
}

/** Which form an error belongs to, so it shows next to the right field. */
export type PeopleFormId = "invite" | "team" | `role-${number}` | `remove-${number}` | `team-${number}-add` | `team-${number}-remove-${number}`;

function RoleSelect(props: { id: string; value: MembershipRole }) {
  return (
    <select id={props.id} name="role">
      <option value="member" selected={props.value === "member"}>
        member
      </option>
      <option value="admin" selected={props.value === "admin"}>
        admin
      </option>
    </select>
  );
}

export function PeoplePage(props: {
  viewer: Viewer;
  org: Pick<OrganizationRow, "slug" | "name">;
  role: MembershipRole;
  members: MemberRow[];
  teams: { team: OrgTeamRow; members: TeamMemberRow[] }[];
  invitations: InvitationView[];
  now: number;
  notice?: string;
  errors?: { form: PeopleFormId; fields: FieldErrors };
  values?: Record<string, string | undefined>;
}) {
  const { viewer, org } = props;
  const isAdmin = props.role === "admin";
  const base = peoplePath(org.slug);
  const errorsOf = (form: PeopleFormId) => (props.errors?.form === form ? props.errors.fields : undefined);
  return (
    <WebPage title={`People · ${org.name}`} frame={{ viewer, orgSlug: org.slug }}>
      <h1>People · {org.name}</h1>
      <Notice notice={props.notice} />

      <h2>Members</h2>
      <table class="stack">
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Email</th>
          <th scope="col">Role</th>
          {isAdmin ? <th scope="col">Remove</th> : null}
        </tr>
        {props.members.map((m) => (
          <tr>
            <td>
              {m.name || "—"}
              {m.userId === viewer.userId ? " (you)" : ""}
            </td>
            <td data-label="Email">{m.email}</td>
            <td data-label="Role">
              {isAdmin ? (
                <SessionForm viewer={viewer} action={`${base}members/${m.userId}/role`} label={`Role of ${m.email}`}>
                  <label for={`role-${m.userId}`} class="visually-hidden">
                    Role of {m.email}
                  </label>
                  <RoleSelect id={`role-${m.userId}`} value={m.role} />
                  <FieldError errors={errorsOf(`role-${m.userId}`)} name="role" id={`role-${m.userId}`} />
                  <button type="submit" class="secondary small">
                    Change role
                  </button>
                </SessionForm>
              ) : (
                m.role
              )}
            </td>
            {isAdmin ? (
              <td data-label="Remove">
                <SessionForm viewer={viewer} action={`${base}members/${m.userId}/remove`} label={`Remove ${m.email}`}>
                  <ConfirmBox id={`confirm-remove-${m.userId}`} label="Remove from the organization and its teams" errors={errorsOf(`remove-${m.userId}`)} />
                  <button type="submit" class="danger small">
                    Remove
                  </button>
                </SessionForm>
              </td>
            ) : null}
          </tr>
        ))}
      </table>

      {isAdmin ? (
        <p class="hint">
          New people: invite them by email below, or let everyone of your connected Microsoft tenants join as members on their first sign-in
          (<a href={`/organizations/${encodeURIComponent(org.slug)}/settings/`}>organization settings</a>).
        </p>
      ) : null}
      <h2>Invitations</h2>
      <p class="hint">
        An invited person becomes a member when they first sign in with Microsoft using that email address, from a Microsoft tenant where this
        organization's Teams app is connected. Invitations expire after 30 days.
      </p>
      {props.invitations.length ? (
        <table class="stack">
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Invited</th>
            <th scope="col">State</th>
            {isAdmin ? <th scope="col"></th> : null}
          </tr>
          {props.invitations.map((i) => (
            <tr>
              <td>{i.email}</td>
              <td data-label="Role">{i.role}</td>
              <td data-label="Invited">
                {utcText(i.createdAt)}
                {i.invitedByName ? ` by ${i.invitedByName}` : ""}
              </td>
              <td data-label="State">{i.expiresAt > props.now ? `Pending until ${utcText(i.expiresAt)}` : "Expired"}</td>
              {isAdmin ? (
                <td>
                  <SessionForm viewer={viewer} action={`${base}invitations/${i.id}/revoke`} label={`Withdraw the invitation of ${i.email}`}>
                    <button type="submit" class="secondary small">
                      Withdraw
                    </button>
                  </SessionForm>
                </td>
              ) : null}
            </tr>
          ))}
        </table>
      ) : (
        <p>No pending invitations.</p>
      )}
      {isAdmin ? (
        <div class="card">
          <h3>Invite someone</h3>
          <SessionForm viewer={viewer} action={`${base}invitations`} label="Invite someone">
            <TextField id="invite-email" name="email" type="email" label="Email (their Microsoft work account)" value={props.values?.email} errors={errorsOf("invite")} required maxlength={254} />
            <label for="invite-role">Role</label>
            <RoleSelect id="invite-role" value={props.values?.role === "admin" ? "admin" : "member"} />
            <FieldError errors={errorsOf("invite")} name="role" id="invite-role" />
            <button type="submit">Invite</button>
          </SessionForm>
        </div>
      ) : null}

      <h2>Teams</h2>
      <p class="hint">Issues can be assigned to a team; cards show it as #slug.</p>
      {props.teams.length ? null : <p>No teams yet.</p>}
      {props.teams.map(({ team, members }) => {
        const candidates = props.members.filter((m) => !members.some((tm) => tm.userId === m.userId));
        return (
          <div class="card">
            <h3>
              {team.name} <span class="hint">#{team.slug}</span>
            </h3>
            {members.length ? (
              <ul class="plain">
                {members.map((tm) => (
                  <li>
                    {tm.name || tm.email} <span class="hint">{tm.email}</span>
                    {isAdmin ? (
                      <SessionForm viewer={viewer} action={`${base}teams/${team.id}/members/${tm.userId}/remove`} label={`Remove ${tm.email} from ${team.slug}`}>
                        <ConfirmBox id={`confirm-team-${team.id}-${tm.userId}`} label={`Take out of #${team.slug}`} errors={errorsOf(`team-${team.id}-remove-${tm.userId}`)} />
                        <button type="submit" class="secondary small">
                          Remove from team
                        </button>
                      </SessionForm>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="hint">No members.</p>
            )}
            {isAdmin && candidates.length ? (
              <SessionForm viewer={viewer} action={`${base}teams/${team.id}/members`} label={`Add to ${team.slug}`}>
                <label for={`team-${team.id}-user`}>Add a member of the organization</label>
                <select id={`team-${team.id}-user`} name="userId">
                  {candidates.map((m) => (
                    <option value={String(m.userId)}>{m.name ? `${m.name} (${m.email})` : m.email}</option>
                  ))}
                </select>
                <FieldError errors={errorsOf(`team-${team.id}-add`)} name="userId" id={`team-${team.id}-user`} />
                <button type="submit" class="small">
                  Add to team
                </button>
              </SessionForm>
            ) : null}
          </div>
        );
      })}
      {isAdmin ? (
        <div class="card">
          <h3>New team</h3>
          <SessionForm viewer={viewer} action={`${base}teams`} label="New team">
            <TextField id="team-slug" name="slug" label="Slug" value={props.values?.teamSlug} errors={errorsOf("team")} required maxlength={50} hint="Lower-case letters, digits and dashes, e.g. backend." />
            <TextField id="team-name" name="name" label="Name (optional)" value={props.values?.teamName} errors={errorsOf("team")} maxlength={200} />
            <button type="submit">Create team</button>
          </SessionForm>
        </div>
      ) : null}
    </WebPage>
  );
}
