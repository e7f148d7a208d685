/**
 * Activities as Teams sends them to a bot (docs/bot-transport.md, "Activities Teams sends"; docs/playground.md, "What
 * the playground sends"), for the demo and the playground: a team install and removal, a personal message, an
 * @mention in a channel, a click on a card's Action.Submit. Mirrors test/support/teams.ts.
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
    recipient: { id: world.botId, name: world.botName ?? "Issue Alerts" },
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

/**
 * The bot removed from a team: conversationUpdate / teamMemberRemoved with the bot among membersRemoved (Teams
 * follows it with an installationUpdate "remove", see `installationUpdate`).
 */
export function teamUninstall(world, remover, team) {
  const { membersAdded, ...install } = teamInstall(world, remover, team);
  return { ...install, channelData: { ...install.channelData, eventType: "teamMemberRemoved" }, membersRemoved: membersAdded };
}

/** installationUpdate "add" / "remove" for a team, which Teams sends alongside the conversationUpdate. */
export function installationUpdate(world, user, team, action) {
  return {
    ...base(world, user),
    type: "installationUpdate",
    action,
    conversation: { id: team.id, conversationType: "channel", tenantId: world.tenantId, isGroup: true },
    channelData: { tenant: { id: world.tenantId }, team: { id: team.id, name: team.name }, channel: { id: team.id } },
  };
}

/** The 1:1 chat between the bot and `user`. */
export function personalChatId(user) {
  return `a:personal-${user.id}`;
}

/**
 * `user` posts `text` in a channel, @mentioning the bot (in channels the bot only gets messages that mention
 * it): the text carries `<at>Bot</at>` and a mention entity names the bot.
 */
export function channelMention(world, user, { team, channelId, text, messageId }) {
  const mention = `<at>${world.botName}</at>`;
  return {
    ...base(world, user),
    ...(messageId ? { id: messageId } : {}),
    type: "message",
    text: `${mention} ${text}`.trim(),
    textFormat: "plain",
    entities: [{ type: "mention", text: mention, mentioned: { id: world.botId, name: world.botName } }],
    conversation: { id: messageId ? `${channelId};messageid=${messageId}` : channelId, conversationType: "channel", tenantId: world.tenantId, isGroup: true },
    channelData: { tenant: { id: world.tenantId }, team: { id: team.id, name: team.name }, channel: { id: channelId } },
  };
}
/** `user` writes `text` to the bot in their 1:1 chat. */
export function personalMessage(world, user, text, { messageId } = {}) {
  return {
    ...base(world, user),
    ...(messageId ? { id: messageId } : {}),
    type: "message",
    text,
    textFormat: "plain",
    conversation: { id: personalChatId(user), conversationType: "personal", tenantId: world.tenantId },
    channelData: { tenant: { id: world.tenantId } },
  };
}

/**
 * `user` presses a card's Action.Submit in a channel: `value` is the action's data merged with the card's inputs,
 * `replyToId` the id of the message holding the card. `conversationId` defaults to the channel; Teams sends
 * `<channel>;messageid=<thread root>` for a card in a channel's thread (the playground does).
 */
export function cardSubmit(world, user, { team, channelId, conversationId = channelId, replyToId, data, inputs }) {
  return {
    ...base(world, user),
    type: "message",
    value: { ...data, ...inputs },
    replyToId,
    conversation: { id: conversationId, conversationType: "channel", tenantId: world.tenantId, isGroup: true },
    channelData: { tenant: { id: world.tenantId }, team: { id: team.id, name: team.name }, channel: { id: channelId } },
  };
}

/** `user` presses an Action.Submit on a card in their 1:1 chat with the bot. */
export function personalCardSubmit(world, user, { replyToId, value }) {
  return {
    ...base(world, user),
    type: "message",
    value,
    replyToId,
    conversation: { id: personalChatId(user), conversationType: "personal", tenantId: world.tenantId },
    channelData: { tenant: { id: world.tenantId } },
  };
}
