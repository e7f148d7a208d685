/**
 * The playground's demo tenant: its people, two teams with channels, and who is in which team. The same people
 * sign in at the stand-in's sign-in authority, with `aadObjectId` as their `oid` (as in Microsoft's tenants, where
 * Teams' `from.aadObjectId` is the signed-in user's `oid`).
 *
 * "Demo Admin" <admin@example.com> is the admin `npm start` seeds into the organization `demo`.
 */
import { personalChatId } from "./activities.mjs";

export const DEMO_TENANT = { id: "72f988bf-0000-4000-8000-000000000001", name: "Contoso (demo tenant)" };

/** @typedef {{ id: string, aadObjectId: string, name: string, email: string }} DemoUser */

/** @type {DemoUser[]} */
export const DEMO_USERS = [
  { id: "29:demo-admin", aadObjectId: "6f1c0d2e-0000-4000-8000-0000000ad001", name: "Demo Admin", email: "admin@example.com" },
  { id: "29:demo-ada-lovelace", aadObjectId: "6f1c0d2e-0000-4000-8000-00000000ada1", name: "Ada Lovelace", email: "ada@example.com" },
  { id: "29:demo-grace-hopper", aadObjectId: "6f1c0d2e-0000-4000-8000-000000009ace", name: "Grace Hopper", email: "grace@example.com" },
];

/**
 * @typedef {{ id: string, name: string, channels: { id: string, name: string }[], members: string[] }} DemoTeam
 * General's id is the team's id (as in Teams); `members` are DEMO_USERS ids.
 */

/** @type {DemoTeam[]} */
export const DEMO_TEAMS = [
  {
    id: "19:demo-platform-team@thread.tacv2",
    name: "Platform",
    channels: [
      { id: "19:demo-platform-team@thread.tacv2", name: "General" },
      { id: "19:demo-alerts-channel@thread.tacv2", name: "Alerts" },
    ],
    members: DEMO_USERS.map((u) => u.id),
  },
  {
    id: "19:demo-mobile-team@thread.tacv2",
    name: "Mobile",
    channels: [
      { id: "19:demo-mobile-team@thread.tacv2", name: "General" },
      { id: "19:demo-releases-channel@thread.tacv2", name: "Releases" },
    ],
    members: ["29:demo-admin", "29:demo-grace-hopper"],
  },
];

/** The 1:1 chat between the bot and a user (the id the Connector hands out for it; defined with the activities). */
export { personalChatId };

/** A demo user as the Teams roster APIs return them. */
export function rosterEntry(user, tenantId = DEMO_TENANT.id) {
  return { id: user.id, name: user.name, email: user.email, userPrincipalName: user.email, aadObjectId: user.aadObjectId, tenantId };
}

/** Fills the Connector's team and roster tables with the demo tenant. */
export function seedConnector(connector) {
  for (const team of DEMO_TEAMS) {
    const channels = team.channels.map((c) => ({ id: c.id, name: c.id === team.id ? null : c.name }));
    connector.teams.set(team.id, { details: { id: team.id, name: team.name }, channels });
    connector.members.set(team.id, team.members.map((id) => rosterEntry(userById(id))));
  }
  for (const user of DEMO_USERS) connector.members.set(personalChatId(user), [rosterEntry(user)]);
}

export function userById(id) {
  return DEMO_USERS.find((u) => u.id === id) ?? null;
}

export function teamById(id) {
  return DEMO_TEAMS.find((t) => t.id === id) ?? null;
}

/** The team and channel a channel id belongs to, or null. */
export function channelById(id) {
  for (const team of DEMO_TEAMS) {
    const channel = team.channels.find((c) => c.id === id);
    if (channel) return { team, channel };
  }
  return null;
}
