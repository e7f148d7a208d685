/*
 * The playground page (plain browser JavaScript, no build step). It shows what the stand-in's conversation log
 * holds, rendered like Teams (Adaptive Cards by the official `adaptivecards` renderer), and turns what you do into
 * the playground API calls that make the stand-in send Teams' activities to the worker. It re-reads the state on
 * every "change" event from the stand-in.
 */
(function () {
  "use strict";
  const AC = window.AdaptiveCards;
  const $ = (id) => document.getElementById(id);
  const ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive";

  let state = null;
  let userId = localStorage.getItem("playground.user") || "";
  let view = decodeURIComponent((location.hash.match(/^#c=(.*)$/) || [])[1] || "") || "guide";
  /** message id → { key, el }: unchanged messages keep their element (and an opened ShowCard stays open). */
  const rendered = new Map();

  // Teams' look for the renderer (host config, markdown, ChoiceSet titles): scripts/lib/teams-card-look.js.
  const hostConfig = window.TeamsCardLook.hostConfig;
  const escapeHtml = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

  // ── talking to the stand-in ─────────────────────────────────────────────────────────────────────────
  async function api(name, body) {
    const res = await fetch(`/playground/api/${name}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: userId, ...body }) });
    let answer;
    try {
      answer = await res.json();
    } catch {
      answer = { ok: false, error: `the stand-in answered ${res.status}` };
    }
    if (!answer.ok) toast(answer.error || `failed (${res.status})`);
    return answer;
  }

  async function load() {
    const res = await fetch(`/playground/api/state?user=${encodeURIComponent(userId)}`);
    state = await res.json();
    if (state.me.id !== userId) {
      userId = state.me.id;
      localStorage.setItem("playground.user", userId);
    }
    render();
  }

  function toast(text, kind) {
    const el = $("toast");
    el.textContent = text;
    el.className = `toast${kind ? ` ${kind}` : ""}`;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (el.hidden = true), 6000);
  }

  // ── layout ──────────────────────────────────────────────────────────────────────────────────────────
  function conversations() {
    const list = [];
    for (const team of state.teams) for (const c of team.channels) list.push({ ...c, team, kind: "channel" });
    for (const chat of state.chats) list.push({ ...chat, kind: "chat" });
    return list;
  }

  function render() {
    $("tenant").textContent = `· ${state.tenant.name}`;
    const select = $("user");
    select.replaceChildren(...state.users.map((u) => new Option(`${u.name} (${u.email})`, u.id, false, u.id === userId)));
    renderSidebar();
    // "Your chat with the bot" follows the person you act as.
    if (state.chats.length && view !== state.chats[0].id && view.startsWith("a:")) view = state.chats[0].id;
    const current = conversations().find((c) => c.id === view);
    $("guide").hidden = !!current;
    $("conversation").hidden = !current;
    if (current) renderConversation(current);
    else renderGuide();
  }

  function navItem(label, id, count) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `nav-item${view === id ? " active" : ""}`;
    b.dataset.conversation = id;
    b.textContent = label;
    if (count) {
      const c = document.createElement("span");
      c.className = "count";
      c.textContent = String(count);
      b.appendChild(c);
    }
    b.onclick = () => go(id);
    return b;
  }

  function renderSidebar() {
    document.querySelector(".guide-link").classList.toggle("active", view === "guide");
    $("teams").replaceChildren(
      ...state.teams.map((team) => {
        const div = document.createElement("div");
        div.className = "team";
        div.dataset.team = team.name;
        const name = document.createElement("div");
        name.className = "team-name";
        name.innerHTML = `<span>${escapeHtml(team.name)}</span><span class="badge${team.installed ? " on" : ""}">${team.installed ? "app added" : "no app"}</span>`;
        div.appendChild(name);
        for (const c of team.channels) div.appendChild(navItem(c.name, c.id, c.messages.filter((m) => !m.threadId).length));
        return div;
      }),
    );
    $("chats").replaceChildren(...state.chats.map((c) => navItem(c.name, c.id, c.messages.length)));
  }

  function go(id) {
    view = id;
    history.replaceState(null, "", id === "guide" ? "#" : `#c=${encodeURIComponent(id)}`);
    render();
  }

  // ── a conversation ──────────────────────────────────────────────────────────────────────────────────
  function renderConversation(conv) {
    const inChannel = conv.kind === "channel";
    $("conv-title").textContent = conv.name;
    $("conv-sub").textContent = inChannel ? `${conv.team.name} · channel` : `Chat between ${state.me.name} and the bot`;
    const actions = $("conv-actions");
    actions.replaceChildren();
    if (inChannel) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = conv.team.installed ? "" : "primary";
      b.textContent = conv.team.installed ? `Remove ${state.bot.name} from ${conv.team.name}` : `Add ${state.bot.name} to ${conv.team.name}`;
      b.onclick = async () => {
        b.disabled = true;
        const r = await api("install", { team: conv.team.id, action: conv.team.installed ? "remove" : "add" });
        b.disabled = false;
        if (r.ok) toast(conv.team.installed ? "Removed: the bot got the uninstall activities." : "Added: the bot got the install activities.", "info");
      };
      actions.appendChild(b);
    }
    $("mention").hidden = !inChannel;
    $("mention").textContent = `@${state.bot.name}`;
    $("text").placeholder = inChannel ? "help — a new post that @mentions the bot" : "help, link or unlink";
    $("composer").onsubmit = async (e) => {
      e.preventDefault();
      const input = $("text");
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      const r = await api("message", { conversation: conv.id, text });
      if (!r.ok) input.value = text;
    };

    const box = $("messages");
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    const scrolled = box.scrollTop;
    box.className = `messages${inChannel ? "" : " chat"}`;
    const messages = conv.messages.filter((m) => !m.deleted);
    if (!messages.length) {
      box.replaceChildren(emptyState(conv));
      return;
    }
    const roots = inChannel ? messages.filter((m) => !m.threadId) : messages;
    box.replaceChildren(
      ...roots.map((root) => {
        const post = document.createElement("article");
        post.className = "post";
        post.dataset.messageId = root.id;
        post.appendChild(messageElement(root));
        const replies = inChannel ? messages.filter((m) => m.threadId === root.id) : [];
        if (replies.length) {
          const r = document.createElement("div");
          r.className = "replies";
          for (const reply of replies) r.appendChild(messageElement(reply));
          post.appendChild(r);
        }
        return post;
      }),
    );
    // Follow new messages when at the bottom (or on arrival); otherwise stay where the reader is.
    box.scrollTop = nearBottom || renderConversation.last !== conv.id ? box.scrollHeight : scrolled;
    renderConversation.last = conv.id;
  }

  function emptyState(conv) {
    const div = document.createElement("div");
    div.className = "empty";
    if (conv.kind === "chat") {
      div.innerHTML = `<p><strong>Your chat with ${escapeHtml(state.bot.name)}.</strong> Type <code>help</code>, <code>link</code> or <code>unlink</code>. Personal notifications (an issue assigned to you) land here.</p>`;
    } else if (!conv.team.installed) {
      div.innerHTML = `<p><strong>Nothing here yet.</strong> Add ${escapeHtml(state.bot.name)} to ${escapeHtml(conv.team.name)} (the button above): Teams tells the bot, and the bot posts a welcome card in General.</p><p>Lost? See <a href="#" data-go="guide">Getting started</a>.</p>`;
    } else {
      div.innerHTML = `<p><strong>No messages in this channel yet.</strong> Alert rules can post here; or @mention the bot below (try <code>help</code>).</p>`;
    }
    const link = div.querySelector("[data-go]");
    if (link) link.onclick = (e) => (e.preventDefault(), go("guide"));
    return div;
  }

  function messageElement(m) {
    const key = `${m.id}|${m.updatedAt}|${userId}`;
    const cached = rendered.get(m.id);
    if (cached && cached.key === key) return cached.el;
    const el = document.createElement("div");
    el.className = `msg${m.mine ? " mine" : ""}`;
    el.dataset.messageId = m.id;
    const avatar = document.createElement("span");
    avatar.className = `avatar${m.from.bot ? " bot" : ""}`;
    avatar.textContent = initials(m.from.name);
    const body = document.createElement("div");
    body.className = "msg-body";
    const meta = document.createElement("div");
    meta.className = "msg-meta";
    meta.innerHTML = `<strong>${escapeHtml(m.from.name)}</strong>${new Date(m.postedAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}${m.updatedAt ? '<span class="edited">Edited</span>' : ""}`;
    body.appendChild(meta);
    const a = m.activity || {};
    if (a.text) {
      const t = document.createElement("div");
      t.className = "msg-text";
      t.innerHTML = escapeHtml(a.text).replace(/&lt;at&gt;(.*?)&lt;\/at&gt;/g, '<span class="at">@$1</span>');
      body.appendChild(t);
    }
    for (const attachment of a.attachments || []) {
      if (attachment.contentType === ADAPTIVE_CARD) body.appendChild(cardElement(m, attachment.content));
      else {
        const t = document.createElement("div");
        t.className = "msg-text";
        t.textContent = `[${attachment.contentType} attachment]`;
        body.appendChild(t);
      }
    }
    el.append(avatar, body);
    rendered.set(m.id, { key, el });
    return el;
  }

  function cardElement(m, content) {
    const wrap = document.createElement("div");
    const host = document.createElement("div");
    host.className = "card-host";
    const status = document.createElement("div");
    status.className = "card-status";
    try {
      const card = new AC.AdaptiveCard();
      card.hostConfig = hostConfig;
      card.parse(content);
      card.onExecuteAction = (action) => onAction(m, action, status);
      const el = card.render();
      if (el) host.appendChild(el);
    } catch (err) {
      host.textContent = `This card could not be rendered: ${err && err.message ? err.message : err}`;
    }
    wrap.append(host, status);
    return wrap;
  }

  async function onAction(m, action, status) {
    const type = action.getJsonTypeName();
    if (type === "Action.OpenUrl") {
      window.open(action.url, "_blank", "noopener");
      return;
    }
    if (type !== "Action.Submit") {
      status.textContent = `${type} is not played here.`;
      return;
    }
    // What Teams sends: `value` = the action's data merged with the card's inputs (the renderer did the merge).
    const value = typeof action.data === "object" && action.data !== null ? action.data : { data: action.data };
    status.className = "card-status";
    status.textContent = `Sent as ${state.me.name}…`;
    const r = await api("submit", { replyToId: m.id, value });
    if (!r.ok) {
      status.className = "card-status error";
      status.textContent = r.error;
    } else {
      status.textContent = `Sent as ${state.me.name}: the bot answered ${r.status}.`;
    }
  }

  function initials(name) {
    return String(name || "?")
      .split(/\s+/)
      .map((w) => w[0] || "")
      .join("")
      .slice(0, 2)
      .toUpperCase();
  }

  // ── getting started ─────────────────────────────────────────────────────────────────────────────────
  /** The worker's installations, for the rule command: asked when the guide is shown, re-rendered if they changed. */
  let installations = [];
  async function refreshInstallations() {
    const fresh = await (await fetch("/playground/api/installations")).json();
    if (JSON.stringify(fresh) === JSON.stringify(installations)) return;
    installations = fresh;
    if (view === "guide") renderGuide();
  }

  function renderGuide() {
    const g = state.guide;
    const installed = state.teams.filter((t) => t.installed);
    const active = installations.filter((i) => i.status === "active");
    const el = $("guide");
    if (!g) {
      el.innerHTML = `<h1>Teams playground</h1><p>No worker is connected to this stand-in yet.</p>`;
      return;
    }
    void refreshInstallations();
    const me = state.me;
    const integration = active[0];
    const ruleCommand = integration
      ? `curl -sS -X POST "${g.worker}/api/admin/projects/${g.project.id}/rules" \\
  -H "Authorization: Bearer ${g.adminToken}" -H "Content-Type: application/json" \\
  -d '{"name": "New issues to General", "conditions": {"newIssue": true}, "action": {"integrationId": ${integration.id}, "target": "General"}}'`
      : "(complete step 2 first: the command appears here with your installation's id)";
    const eventCommand = `curl -sS -X POST "${g.worker}/api/projects/${g.project.id}/events" \\
  -H "Authorization: Bearer ${g.ingestKey}" -H "Content-Type: application/json" \\
  -d '{"message": "TypeError: cart.total is undefined", "level": "error"}'`;
    const tokenCommand = `curl -sS -X POST "${g.worker}/api/admin/users/${g.adminUserId}/tokens" \\
  -H "Authorization: Bearer ${g.adminToken}" -H "Content-Type: application/json" -d '{"name": "playground"}'`;
    const step = (done, html, name) => `<li${done ? ' class="done"' : ""} data-step="${name}">${html}</li>`;
    el.innerHTML = `
<h1>Getting started: the first five minutes</h1>
<p>This page is a small Teams: the tenant <strong>${escapeHtml(state.tenant.name)}</strong>, two teams and a chat with the bot for each person.
Everything you do here is sent to the worker at <code>${escapeHtml(g.worker)}</code> exactly as Microsoft Teams would send it. You are <strong>${escapeHtml(me.name)}</strong> (switch at the top right).</p>
<ol>
${step(installed.length > 0, `<strong>Add the app to a team.</strong> Open <a href="#" data-go-team="Platform">Platform › General</a> and press <em>Add Issue Alerts to Platform</em>. The bot posts a welcome card.`, "install")}
${step(active.length > 0, `<strong>Complete the setup in the web app.</strong> Press <em>Complete setup</em> on the welcome card; on that page enter the organization <code>${escapeHtml(g.organization.slug)}</code> and the admin token:<pre>${escapeHtml(g.adminToken)}</pre>`, "setup")}
${step(false, `<strong>Create an alert rule</strong> (new issues → General) in the web app: open <a href="${escapeHtml(`${g.worker}/organizations/${encodeURIComponent(g.organization.slug)}/alerts/rules/`)}" target="_blank" rel="noopener">Alert rules</a>, sign in as ${escapeHtml(g.adminUserName)}, press <em>New rule</em>, choose <em>General</em> under "Platform: channels" in <em>Post to</em> (the team's live channels and people), <em>Create the rule</em>, then <em>Send a test card</em> and see it arrive in General. Or with the admin API:<pre data-command="rule">${escapeHtml(ruleCommand)}</pre>`, "rule")}
${step(false, `<strong>Send an event</strong> with curl, or with any Sentry SDK (<code>@sentry/node</code>: <code>Sentry.init({ dsn: "${escapeHtml(g.dsn)}" })</code>):<pre data-command="event">${escapeHtml(eventCommand)}</pre>Watch the issue card arrive in General.`, "event")}
${step(false, `<strong>Link your Teams account.</strong> In your <a href="#" data-go-chat>chat with Issue Alerts</a> type <code>link</code> and open the link. Until "Sign in with Microsoft" lands, the page asks for a personal API token; make one for ${escapeHtml(g.adminUserName)}:<pre data-command="token">${escapeHtml(tokenCommand)}</pre>`, "link")}
${step(false, `<strong>Resolve it.</strong> On the issue card press <em>Resolve</em>, pick <em>Immediately</em>, <em>Submit</em>: the card updates in place and shows the issue resolved.`, "resolve")}
</ol>
<p class="addresses">The Microsoft stand-in behind this page: Bot Framework keys <code>${escapeHtml(g.standIn.botMetadataUrl)}</code> · token endpoint <code>${escapeHtml(g.standIn.tokenUrl)}</code> · Connector <code>${escapeHtml(g.standIn.serviceUrl)}</code> · sign-in authority <code>${escapeHtml(g.standIn.signInMetadataUrl)}</code>. The state (messages, installs) is kept across restarts with the local D1.</p>`;
    for (const a of el.querySelectorAll("[data-go-team]")) a.onclick = (e) => (e.preventDefault(), go(state.teams.find((t) => t.name === a.dataset.goTeam)?.id || "guide"));
    for (const a of el.querySelectorAll("[data-go-chat]")) a.onclick = (e) => (e.preventDefault(), go(state.chats[0].id));
  }

  // ── start ───────────────────────────────────────────────────────────────────────────────────────────
  document.querySelector(".guide-link").onclick = () => go("guide");
  $("user").onchange = (e) => {
    userId = e.target.value;
    localStorage.setItem("playground.user", userId);
    rendered.clear();
    load();
  };
  const events = new EventSource("/playground/api/events");
  events.addEventListener("change", () => load());
  window.playground = { ready: () => state !== null, state: () => state };
})();
