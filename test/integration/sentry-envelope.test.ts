import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { leaseSize } from "../../src/ingest/rate-limit";
import { workerFetch } from "../support/worker";
import {
  BASE,
  compress,
  envelope,
  errorEvent,
  newEventId,
  postEnvelope,
  projectState,
  seedProject,
  sentryAuth,
} from "./sentry-helpers";

const TITLE = "TypeError: Cannot read properties of undefined (reading 'id')";

describe("POST /api/:projectId/envelope/", () => {
  it("ingests an event item and answers with its id", async () => {
    const p = await seedProject();
    const event = errorEvent({ tags: { region: "eu" }, user: { id: "u-1", email: "ann@example.com" } });
    const res = await postEnvelope(
      p.projectId,
      envelope({ event_id: event.event_id, sent_at: new Date().toISOString() }, [[{ type: "event" }, event]]),
      sentryAuth(p.key),
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: event.event_id });

    const state = await projectState(p.projectId);
    expect(state.issues).toHaveLength(1);
    expect(state.issues[0]).toMatchObject({
      title: TITLE,
      culprit: "users in loadUser",
      level: "error",
      type: "error",
      times_seen: 1,
      first_release: "api@1.0.0",
      last_release: "api@1.0.0",
      last_environment: "production",
    });
    expect(state.events).toHaveLength(1);
    expect(state.events[0]).toMatchObject({ id: event.event_id, level: "error", release: "api@1.0.0", environment: "production" });
    expect(JSON.parse(state.events[0].tags)).toEqual({ region: "eu", handled: "yes", mechanism: "generic" });
    expect(JSON.parse(state.events[0].user)).toEqual({ id: "u-1", email: "ann@example.com" });
    // The isolate took a block of the minute's quota (1/20 of the limit of 1000) and spent one event of it.
    expect(state.windows).toEqual([expect.objectContaining({ count: leaseSize(1000) })]);
    expect(leaseSize(1000)).toBe(50);
  });

  it("answers the same without the trailing slash", async () => {
    const p = await seedProject();
    const event = errorEvent();
    const res = await workerFetch(`${BASE}/api/${p.projectId}/envelope`, {
      method: "POST",
      headers: sentryAuth(p.key),
      body: envelope({ event_id: event.event_id }, [[{ type: "event" }, event]]),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: event.event_id });
  });

  it("issues two events from the same site, keeps other sites and message events apart", async () => {
    const p = await seedProject();
    const send = async (event: Record<string, unknown>) => {
      const res = await postEnvelope(p.projectId, envelope({ event_id: event.event_id }, [[{ type: "event" }, event]]), sentryAuth(p.key));
      expect(res.status).toBe(200);
    };
    // Same site, different line numbers and values: one issue (grouping ignores line numbers, not functions).
    await send(errorEvent());
    await send(errorEvent({ release: "api@1.0.1" }));
    // Another site: a different crash function.
    const other = errorEvent();
    (other as any).exception.values[0].stacktrace.frames[2].function = "saveUser";
    await send(other);
    // Message events group by the normalised message.
    await send({ event_id: newEventId(), level: "warning", message: "Disk usage at 91% on db-3" });
    await send({ event_id: newEventId(), level: "warning", logentry: { formatted: "Disk usage at 97% on db-3" } });
    await send({ event_id: newEventId(), level: "info", message: "Cache warmed" });

    const { issues } = await projectState(p.projectId);
    expect(issues.map((g) => [g.title, g.culprit, g.level, g.times_seen])).toEqual([
      [TITLE, "users in loadUser", "error", 2],
      [TITLE, "users in saveUser", "error", 1],
      ["Disk usage at 91% on db-3", "", "warning", 2],
      ["Cache warmed", "", "info", 1],
    ]);
    expect(issues[0].last_release).toBe("api@1.0.1");
  });

  it("honours an explicit fingerprint, with {{ default }} expanding to the default grouping", async () => {
    const p = await seedProject();
    const send = (event: Record<string, unknown>) =>
      postEnvelope(p.projectId, envelope({}, [[{ type: "event" }, event]]), sentryAuth(p.key));
    await send(errorEvent({ fingerprint: ["payments-timeout"] }));
    await send(errorEvent({ fingerprint: ["payments-timeout"], exception: { values: [{ type: "OtherError", value: "x" }] } }));
    await send(errorEvent({ fingerprint: ["{{ default }}", "tenant-a"] }));
    await send(errorEvent({ fingerprint: ["{{default}}", "tenant-b"] }));
    await send(errorEvent({ fingerprint: ["{{ default }}", "tenant-a"] }));
    const { issues } = await projectState(p.projectId);
    expect(issues.map((g) => g.times_seen)).toEqual([2, 2, 1]);
  });

  it("counts a retried event (same event id) once", async () => {
    const p = await seedProject();
    const event = errorEvent();
    const body = envelope({ event_id: event.event_id }, [[{ type: "event" }, event]]);
    expect((await postEnvelope(p.projectId, body, sentryAuth(p.key))).json).toEqual({ id: event.event_id });
    expect((await postEnvelope(p.projectId, body, sentryAuth(p.key))).json).toEqual({ id: event.event_id });
    const state = await projectState(p.projectId);
    expect(state.issues.map((g) => g.times_seen)).toEqual([1]);
    expect(state.events).toHaveLength(1);
  });

  it("takes the event id from the envelope header when the payload has none, else makes one", async () => {
    const p = await seedProject();
    const headerId = newEventId();
    const { event_id: _drop, ...noId } = errorEvent();
    const res = await postEnvelope(p.projectId, envelope({ event_id: headerId }, [[{ type: "event" }, noId]]), sentryAuth(p.key));
    expect(res.json).toEqual({ id: headerId });
    const res2 = await postEnvelope(p.projectId, envelope({}, [[{ type: "event" }, noId]]), sentryAuth(p.key));
    expect(res2.json.id).toMatch(/^[0-9a-f]{32}$/);
    expect(res2.json.id).not.toBe(headerId);
    const { events } = await projectState(p.projectId);
    expect(events.map((e) => e.id).sort()).toEqual([headerId, res2.json.id].sort());
  });

  it("accepts and drops every other item type, ingesting only the event", async () => {
    const p = await seedProject();
    const event = errorEvent();
    const others: [Record<string, unknown>, unknown][] = [
      [{ type: "attachment", filename: "log.txt", content_type: "text/plain" }, "line 1\nline 2\n"],
      [{ type: "session" }, { sid: newEventId(), status: "ok", started: new Date().toISOString() }],
      [{ type: "sessions" }, { aggregates: [{ started: new Date().toISOString(), exited: 1 }] }],
      [{ type: "client_report" }, { timestamp: Date.now() / 1000, discarded_events: [] }],
      [{ type: "transaction" }, { type: "transaction", transaction: "GET /", spans: [] }],
      [{ type: "check_in" }, { check_in_id: newEventId(), monitor_slug: "job", status: "ok" }],
      [{ type: "profile" }, { version: "1" }],
      [{ type: "replay_event" }, { replay_id: newEventId() }],
      [{ type: "replay_recording" }, "binary-ish \u0000 data"],
      [{ type: "statsd" }, "metric:1|c"],
      [{ type: "span" }, { span_id: "abc" }],
      [{ type: "log" }, { items: [] }],
      [{ type: "some_future_type" }, { x: 1 }],
    ];
    const onlyOthers = await postEnvelope(p.projectId, envelope({ sent_at: new Date().toISOString() }, others), sentryAuth(p.key));
    expect(onlyOthers.status).toBe(200);
    expect(onlyOthers.json).toEqual({});
    let state = await projectState(p.projectId);
    expect(state).toEqual({ issues: [], events: [], windows: [] }); // dropped items do not count against the limit

    const mixed = await postEnvelope(
      p.projectId,
      envelope({ event_id: event.event_id }, [others[0], [{ type: "event" }, event], others[1]]),
      sentryAuth(p.key),
    );
    expect(mixed.status).toBe(200);
    expect(mixed.json).toEqual({ id: event.event_id });
    state = await projectState(p.projectId);
    expect(state.events.map((e) => e.id)).toEqual([event.event_id]);
  });

  it("ignores a transaction posted as an event item", async () => {
    const p = await seedProject();
    const res = await postEnvelope(
      p.projectId,
      envelope({}, [[{ type: "event" }, { type: "transaction", event_id: newEventId(), transaction: "GET /" }]]),
      sentryAuth(p.key),
    );
    expect(res.status).toBe(200);
    expect((await projectState(p.projectId)).events).toEqual([]);
  });

  it("reads gzip and deflate bodies", async () => {
    const p = await seedProject();
    for (const [format, header] of [
      ["gzip", "gzip"],
      ["deflate", "deflate"],
      ["deflate-raw", "deflate"],
    ] as const) {
      const event = errorEvent();
      const body = await compress(envelope({ event_id: event.event_id }, [[{ type: "event" }, event]]), format);
      const res = await postEnvelope(p.projectId, body, { ...sentryAuth(p.key), "content-encoding": header });
      expect(res.status, format).toBe(200);
      expect(res.json).toEqual({ id: event.event_id });
    }
    expect((await projectState(p.projectId)).events).toHaveLength(3);
  });

  describe("malformed envelopes: 400 with a reason, nothing written", () => {
    const cases: [string, (ev: Record<string, unknown>) => string | Uint8Array, RegExp][] = [
      ["empty body", () => "", /empty/i],
      ["header not JSON", () => "hello\n", /Envelope header is not valid JSON/],
      ["item without type", (ev) => `{}\n${JSON.stringify({ length: 2 })}\n{}\n`, /Item 1 header has no "type"/],
      ["length past the end", (ev) => `{}\n{"type":"event","length":99999}\n${JSON.stringify(ev)}\n`, /shorter than its "length"/],
      ["length too short", (ev) => `{}\n{"type":"event","length":3}\n${JSON.stringify(ev)}\n`, /longer than its "length"/],
      ["event payload not JSON", () => `{}\n{"type":"event","length":5}\n{oops\n`, /Event item payload is not valid JSON/],
      ["event payload an array", () => `{}\n{"type":"event","length":2}\n[]\n`, /Event item payload is not a JSON object/],
      ["two events", (ev) => envelope({}, [[{ type: "event" }, ev], [{ type: "event" }, errorEvent()]]), /at most one event/],
      ["event after a broken item", (ev) => `{}\n{"type":"session"\n{}\n` + envelope({}, [[{ type: "event" }, ev]]).split("\n").slice(1).join("\n"), /Item 1 header is not valid JSON/],
    ];
    for (const [name, build, reason] of cases) {
      it(name, async () => {
        const p = await seedProject();
        const res = await postEnvelope(p.projectId, build(errorEvent()), sentryAuth(p.key));
        expect(res.status).toBe(400);
        expect(res.json.error.code).toBe("malformed_body");
        expect(res.json.error.message).toMatch(reason);
        expect(res.headers.get("x-sentry-error")).toBe(res.json.error.message);
        expect(await projectState(p.projectId)).toEqual({ issues: [], events: [], windows: [] });
      });
    }

    it("corrupt gzip", async () => {
      const p = await seedProject();
      const gz = await compress(envelope({}, [[{ type: "event" }, errorEvent()]]), "gzip");
      const res = await postEnvelope(p.projectId, gz.slice(0, gz.length - 12), { ...sentryAuth(p.key), "content-encoding": "gzip" });
      expect(res.status).toBe(400);
      expect(res.json.error.message).toMatch(/could not be decompressed/);
      expect(await projectState(p.projectId)).toEqual({ issues: [], events: [], windows: [] });
    });
  });

  describe("size limits", () => {
    it("refuses more than 1 MB on the wire with 413", async () => {
      const p = await seedProject();
      const big = errorEvent({ extra: { blob: "x".repeat(1024 * 1024 + 10) } });
      const res = await postEnvelope(p.projectId, envelope({}, [[{ type: "event" }, big]]), sentryAuth(p.key));
      expect(res.status).toBe(413);
      expect(res.json.error.code).toBe("payload_too_large");
      expect((await projectState(p.projectId)).events).toEqual([]);
    });

    it("drains an oversized chunked body (up to 8 MB past the cap) before answering 413, then cuts it off", async () => {
      // Under `wrangler dev`, a body left unread after an early 413 stalled the connection's next request.
      const p = await seedProject();
      const chunk = new Uint8Array(64 * 1024).fill(0x78);
      const counted = (chunks: number) => {
        let pulled = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (pulled === chunks) return controller.close();
            pulled += 1;
            controller.enqueue(chunk);
          },
        });
        return { body, read: () => pulled * chunk.byteLength };
      };
      const MB = 1024 * 1024;
      const small = counted(48); // 3 MB, no Content-Length
      const res = await postEnvelope(p.projectId, small.body, sentryAuth(p.key));
      expect(res.status).toBe(413);
      expect(small.read()).toBe(3 * MB);
      // Past the drain bound the body is cut off (workerd then logs "Network connection lost" for the stream).
      const huge = counted(1600); // 100 MB
      expect((await postEnvelope(p.projectId, huge.body, sentryAuth(p.key))).status).toBe(413);
      expect(huge.read()).toBeGreaterThan(9 * MB);
      expect(huge.read()).toBeLessThanOrEqual(9 * MB + 2 * chunk.byteLength);
      expect((await projectState(p.projectId)).events).toEqual([]);
    });

    it("refuses a zip bomb (over 20 MB decompressed) with 413", async () => {
      const p = await seedProject();
      const bomb = await compress(new Uint8Array(24 * 1024 * 1024).fill(0x20), "gzip");
      expect(bomb.byteLength).toBeLessThan(1024 * 1024);
      const res = await postEnvelope(p.projectId, bomb, { ...sentryAuth(p.key), "content-encoding": "gzip" });
      expect(res.status).toBe(413);
      expect(res.json.error.message).toMatch(/decompressed body is larger than 20 MB/);
    });

    it("refuses stacked encodings (a list, or the header repeated 100 times) with 415, decoding nothing", async () => {
      const p = await seedProject();
      const event = errorEvent();
      const once = await compress(envelope({ event_id: event.event_id }, [[{ type: "event" }, event]]), "gzip");
      const twice = await compress(once, "gzip");
      const listed = await postEnvelope(p.projectId, twice, { ...sentryAuth(p.key), "content-encoding": "gzip, gzip" });
      expect(listed.status).toBe(415);
      expect(listed.json.error.message).toMatch(/at most one Content-Encoding/);
      // The attack of issue #15: the header repeated arrives as one comma-separated list.
      const headers = new Headers({ ...sentryAuth(p.key), "content-type": "application/x-sentry-envelope" });
      for (let i = 0; i < 100; i++) headers.append("content-encoding", "gzip");
      const repeated = await workerFetch(`${BASE}/api/${p.projectId}/envelope/`, { method: "POST", headers, body: twice });
      expect(repeated.status).toBe(415);
      expect((await projectState(p.projectId)).events).toEqual([]);
      // One layer, as SDKs send, is still read.
      expect((await postEnvelope(p.projectId, once, { ...sentryAuth(p.key), "content-encoding": "gzip" })).status).toBe(200);
    });

    it("without a key in header or query, inflates only the envelope's first line: a zip bomb is 401, not decoded", async () => {
      const p = await seedProject();
      // 24 MB of spaces, no newline: the first 16 KB of output show no envelope header, so no DSN, so 401.
      const bomb = await compress(new Uint8Array(24 * 1024 * 1024).fill(0x20), "gzip");
      const res = await postEnvelope(p.projectId, bomb, { "content-encoding": "gzip" });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe("missing_auth");
      // A header line naming a DSN of another project is 403, whatever follows it.
      const other = await seedProject();
      const foreign = await compress(`${JSON.stringify({ dsn: other.dsn })}\n${" ".repeat(24 * 1024 * 1024)}`, "gzip");
      expect((await postEnvelope(p.projectId, foreign, { "content-encoding": "gzip" })).status).toBe(403);
      expect(await projectState(p.projectId)).toEqual({ issues: [], events: [], windows: [] });
    });

    it("reads a compressed tunnel envelope whose key is only in its DSN", async () => {
      const p = await seedProject();
      const event = errorEvent();
      const body = await compress(envelope({ event_id: event.event_id, dsn: p.dsn }, [[{ type: "event" }, event]]), "gzip");
      const res = await postEnvelope(p.projectId, body, { "content-encoding": "gzip" });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ id: event.event_id });
    });

    it("refuses encodings it cannot read with 415", async () => {
      const p = await seedProject();
      const res = await postEnvelope(p.projectId, "{}\n", { ...sentryAuth(p.key), "content-encoding": "br" });
      expect(res.status).toBe(415);
      expect(res.json.error.code).toBe("unsupported_media_type");
    });
  });
});

describe("authentication", () => {
  const body = (ev = errorEvent()) => envelope({ event_id: ev.event_id }, [[{ type: "event" }, ev]]);

  it("accepts the key as the sentry_key query parameter (browser SDKs)", async () => {
    const p = await seedProject();
    const res = await postEnvelope(p.projectId, body(), { "content-type": "text/plain;charset=UTF-8" }, `?sentry_version=7&sentry_key=${p.key}&sentry_client=sentry.javascript.browser%2F11.12.0`);
    expect(res.status).toBe(200);
    expect((await projectState(p.projectId)).events).toHaveLength(1);
  });

  it("accepts the key from the envelope header's DSN (tunnels)", async () => {
    const p = await seedProject();
    const ev = errorEvent();
    const res = await postEnvelope(p.projectId, envelope({ event_id: ev.event_id, dsn: p.dsn }, [[{ type: "event" }, ev]]));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: ev.event_id });
  });

  it("accepts Authorization: Sentry … from older SDKs", async () => {
    const p = await seedProject();
    const res = await postEnvelope(p.projectId, body(), { authorization: `Sentry sentry_key=${p.key}, sentry_version=7` });
    expect(res.status).toBe(200);
  });

  it("401 without a key, with an unknown key or a revoked key; nothing written", async () => {
    const p = await seedProject();
    const noKey = await postEnvelope(p.projectId, body());
    expect(noKey.status).toBe(401);
    expect(noKey.json.error.code).toBe("missing_auth");

    const unknown = await postEnvelope(p.projectId, body(), sentryAuth("0".repeat(32)));
    expect(unknown.status).toBe(401);
    expect(unknown.json.error.code).toBe("invalid_key");
    expect(JSON.stringify(unknown.json)).not.toContain("0".repeat(32));

    const weird = await postEnvelope(p.projectId, body(), sentryAuth("'; drop table projects; --"));
    expect(weird.status).toBe(401);

    const badDsn = await postEnvelope(p.projectId, envelope({ dsn: `http://${"f".repeat(32)}@alerts.test/${p.projectId}` }, [[{ type: "event" }, errorEvent()]]));
    expect(badDsn.status).toBe(401);

    await env.DB.prepare("update project_keys set revoked_at = ? where id = ?").bind(Date.now(), p.keyId).run();
    const revoked = await postEnvelope(p.projectId, body(), sentryAuth(p.key));
    expect(revoked.status).toBe(401);

    expect(await projectState(p.projectId)).toEqual({ issues: [], events: [], windows: [] });
  });

  it("403 for a live key of another project", async () => {
    const a = await seedProject();
    const b = await seedProject();
    const res = await postEnvelope(b.projectId, body(), sentryAuth(a.key));
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe("project_mismatch");
    const viaDsn = await postEnvelope(b.projectId, envelope({ dsn: a.dsn }, [[{ type: "event" }, errorEvent()]]));
    expect(viaDsn.status).toBe(403);
    expect((await projectState(a.projectId)).events).toEqual([]);
    expect((await projectState(b.projectId)).events).toEqual([]);
  });

  it("checks the key before reading the body", async () => {
    const p = await seedProject();
    const res = await postEnvelope(p.projectId, "not an envelope", sentryAuth("nope"));
    expect(res.status).toBe(401);
  });

  it("404 for a project id that is not a number", async () => {
    const p = await seedProject();
    const res = await postEnvelope("abc", body(), sentryAuth(p.key));
    expect(res.status).toBe(404);
  });
});

describe("CORS for browser SDKs", () => {
  it("answers the preflight", async () => {
    const p = await seedProject();
    const res = await workerFetch(`${BASE}/api/${p.projectId}/envelope/?sentry_key=${p.key}`, {
      method: "OPTIONS",
      headers: {
        origin: "https://shop.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-sentry-auth",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toContain("x-sentry-auth");
    expect(res.headers.get("access-control-allow-headers")).toContain("content-type");
  });

  it("sets CORS headers on successes and on refusals, exposing the rate-limit headers", async () => {
    const p = await seedProject();
    const ok = await postEnvelope(p.projectId, envelope({}, [[{ type: "event" }, errorEvent()]]), { origin: "https://shop.example.com" }, `?sentry_key=${p.key}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("*");
    expect(ok.headers.get("access-control-expose-headers")).toContain("x-sentry-rate-limits");
    const denied = await postEnvelope(p.projectId, "{}\n", { origin: "https://shop.example.com" }, "?sentry_key=wrong");
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("does not open CORS on the other /api routes", async () => {
    const res = await workerFetch(`${BASE}/api/admin/organizations`, { method: "GET", headers: { origin: "https://evil.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("rate limit", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("429 with Retry-After and X-Sentry-Rate-Limits past the per-minute limit; resets next minute", async () => {
    // Pinned mid-minute so the three requests share one window and Retry-After is exact.
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(minute + 15_000);
    const p = await seedProject({ rateLimitPerMinute: 2 });
    const send = () => postEnvelope(p.projectId, envelope({}, [[{ type: "event" }, errorEvent()]]), sentryAuth(p.key));
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    const limited = await send();
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe("rate_limited");
    expect(limited.headers.get("retry-after")).toBe("45");
    expect(limited.headers.get("x-sentry-rate-limits")).toBe("45:error:project");
    expect((await projectState(p.projectId)).events).toHaveLength(2);

    // Sessions and client reports are still accepted while errors are limited.
    const sessions = await postEnvelope(p.projectId, envelope({}, [[{ type: "session" }, { sid: "s", status: "ok" }]]), sentryAuth(p.key));
    expect(sessions.status).toBe(200);

    // The next window starts fresh, and the old window row is cleaned away.
    vi.setSystemTime(minute + 60_000 + 1_000);
    expect((await send()).status).toBe(200);
    const state = await projectState(p.projectId);
    expect(state.events).toHaveLength(3);
    expect(state.windows).toEqual([{ window_start: minute + 60_000, count: 1 }]);
  });

  it("refuses everything when the limit is 0", async () => {
    const p = await seedProject({ rateLimitPerMinute: 0 });
    const res = await postEnvelope(p.projectId, envelope({}, [[{ type: "event" }, errorEvent()]]), sentryAuth(p.key));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect((await projectState(p.projectId)).events).toEqual([]);
  });
});
