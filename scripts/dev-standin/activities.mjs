/**
 * Activities as Teams sends them to a bot (docs/bot-transport.md, "Activities Teams sends"), for the demo: a team
 * install, a personal message, a click on a card's Action.Submit. Mirrors test/support/teams.ts.
 */
let seq = 0;

/** @param {{serviceUrl: string, botId: string, tenantId: string}} world */
function base(world, from) {
  seq += 1;
  return {
    id: `demo-activity-${seq}-${Date.now()}`,
    timestamp: new Date().toISOString(),
    serviceUrl: world.serviceUrl,
    channelId: "msteams",
    from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
    recipient: { id: world.botId, name: "Issue Alerts" },
  };
}

/** The bot added to a team: conversationUpdate / teamMemberAdded with the bot among membersAdded. */
export function teamInstall(world, installer, team) {
  return {
    ...base(world, installer),
    type: "conversationUpdate",
    conversation: { id: team.id, conversationType: "channel", tenantId: world.tenantId, isGroup: true },
    channelData: { tenant: { id: world.tenantId }, team: { id: team.id, name: team.name }, channel: { id: team.id }, eventType: "teamMemberAdded" },
    membersAdded: [{ id: world.botId }],
  };
}

/** The 1:1 chat between the bot and `user`. */
export function personalChatId(user) {
  return `a:personal-${user.id}`;
}

/** `user` writes `text` to the bot in their 1:1 chat. */
export function personalMessage(world, user, text) {
  return {
    ...base(world, user),
    type: "message",
    text,
    textFormat: "plain",
    conversation: { id: personalChatId(user), conversationType: "personal", tenantId: world.tenantId },
    channelData: { tenant: { id: world.tenantId } },
  };
}

/**
 * `user` presses a card's Action.Submit in a channel: `value` is the action's data merged with the card's inputs,
 * `replyToId` the id of the message holding the card.
 */
export function cardSubmit(world, user, { team, channelId, replyToId, data, inputs }) {
  return {
    ...base(world, user),
    type: "message",
    value: { ...data, ...inputs },
    replyToId,
    conversation: { id: channelId, conversationType: "channel", tenantId: world.tenantId, isGroup: true },
    channelData: { tenant: { id: world.tenantId }, team: { id: team.id, name: team.name }, channel: { id: channelId } },
  };
}
