/**
 * What Teams would show: every message in every conversation of the stand-in's tenant, as the bot (through the
 * Connector) and the people (through the playground) wrote them. The playground page renders it; with a `file`,
 * it is kept across restarts like the local D1 (written a moment after each change, and at close).
 *
 * Conversation ids are stored without Teams' `;messageid=<root>` suffix: a message sent to
 * `<channel>;messageid=<root>` is a reply in the thread of <root>, as in Teams.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const THREAD_SUFFIX = ";messageid=";
const SAVE_DELAY_MS = 200;

/** `<channel>;messageid=<root>` → { conversationId: <channel>, threadId: <root> }; other ids unchanged. */
export function splitConversationId(id) {
  const at = id.indexOf(THREAD_SUFFIX);
  if (at < 0) return { conversationId: id, threadId: null };
  return { conversationId: id.slice(0, at), threadId: id.slice(at + THREAD_SUFFIX.length) || null };
}

/**
 * @typedef {{ id: string, conversationId: string, threadId: string | null, from: { id: string, name: string, bot: boolean },
 *   activity: Record<string, unknown>, postedAt: string, updatedAt: string | null, deleted: boolean }} LoggedMessage
 */

export class ConversationLog {
  /** @param {{ file?: string | null, onChange?: () => void }} opts */
  constructor({ file = null, onChange = () => {} } = {}) {
    this.file = file;
    this.onChange = onChange;
    /** @type {LoggedMessage[]} */
    this.messages = [];
    /** team id → true while the bot is installed there (as the playground last told the worker). */
    this.installedTeams = {};
    /** Message ids keep growing across restarts, so a card posted before a restart is never confused with a new one. */
    this.lastId = 1_700_000_000_000;
    this.version = 0;
    this.saveTimer = null;
    if (file && existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, "utf8"));
      this.messages = Array.isArray(saved.messages) ? saved.messages : [];
      this.installedTeams = saved.installedTeams ?? {};
      this.lastId = Number(saved.lastId) || this.lastId;
    }
  }

  nextId() {
    this.lastId += 1;
    return String(this.lastId);
  }

  get(id) {
    return this.messages.find((m) => m.id === id) ?? null;
  }

  /** A new message; `threadId` makes it a reply (a reply to a reply joins the same thread). */
  add({ id = this.nextId(), conversationId, threadId = null, from, activity }) {
    const root = threadId ? (this.get(threadId)?.threadId ?? threadId) : null;
    const message = { id, conversationId, threadId: root, from, activity: stripRouting(activity), postedAt: new Date().toISOString(), updatedAt: null, deleted: false };
    this.messages.push(message);
    this.changed();
    return message;
  }

  /** Replaces a message's content (the Connector's PUT); null when there is no such message in that conversation. */
  update(conversationId, id, activity) {
    const message = this.get(id);
    if (!message || message.conversationId !== conversationId) return null;
    message.activity = stripRouting(activity);
    message.updatedAt = new Date().toISOString();
    this.changed();
    return message;
  }

  remove(conversationId, id) {
    const message = this.get(id);
    if (!message || message.conversationId !== conversationId) return null;
    message.deleted = true;
    message.activity = {};
    this.changed();
    return message;
  }

  setInstalled(teamId, installed) {
    this.installedTeams[teamId] = installed;
    this.changed();
  }

  inConversation(conversationId) {
    return this.messages.filter((m) => m.conversationId === conversationId);
  }

  changed() {
    this.version += 1;
    this.onChange();
    if (!this.file) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  /** Writes the file now (atomically: a crash mid-write leaves the previous one). */
  save() {
    clearTimeout(this.saveTimer);
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ lastId: this.lastId, installedTeams: this.installedTeams, messages: this.messages }));
    renameSync(tmp, this.file);
  }
}

/** What a reader sees of an activity: its content, not the addressing the Connector already took from the URL. */
function stripRouting(activity) {
  const { type, text, textFormat, summary, attachments, attachmentLayout, entities } = activity ?? {};
  return Object.fromEntries(Object.entries({ type, text, textFormat, summary, attachments, attachmentLayout, entities }).filter(([, v]) => v !== undefined));
}
