import { describe, expect, it } from "vitest";
import { compress, errorEvent, newEventId, postStore, projectState, seedProject, sentryAuth } from "./sentry-helpers";

describe("POST /api/:projectId/store/ (legacy JSON)", () => {
  it("ingests a JSON event and answers with its id", async () => {
    const p = await seedProject();
    const event = errorEvent({ level: "warning", release: "web@2.0.0", culprit: "checkout.views in pay" });
    const res = await postStore(p.projectId, JSON.stringify(event), sentryAuth(p.key));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: event.event_id });
    const { issues, events } = await projectState(p.projectId);
    expect(issues).toEqual([
      expect.objectContaining({
        title: "TypeError: Cannot read properties of undefined (reading 'id')",
        culprit: "checkout.views in pay",
        level: "warning",
        first_release: "web@2.0.0",
      }),
    ]);
    expect(events.map((e) => e.id)).toEqual([event.event_id]);
  });

  it("works without the trailing slash, with ?sentry_key, and with gzip", async () => {
    const p = await seedProject();
    const a = errorEvent();
    expect((await postStore(p.projectId, JSON.stringify(a), {}, `store?sentry_key=${p.key}`)).json).toEqual({ id: a.event_id });
    const b = errorEvent();
    const gz = await compress(JSON.stringify(b), "gzip");
    const res = await postStore(p.projectId, gz, { ...sentryAuth(p.key), "content-encoding": "gzip" });
    expect(res.json).toEqual({ id: b.event_id });
    expect((await projectState(p.projectId)).events).toHaveLength(2);
  });

  it("accepts base64-encoded zlib bodies from old raven clients", async () => {
    const p = await seedProject();
    const event = { event_id: newEventId(), message: "legacy raven message", level: "info" };
    const zlib = await compress(JSON.stringify(event), "deflate");
    const b64 = btoa(String.fromCharCode(...zlib));
    const res = await postStore(p.projectId, b64, { ...sentryAuth(p.key), "content-type": "application/octet-stream" });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: event.event_id });
    const { issues } = await projectState(p.projectId);
    expect(issues.map((g) => [g.title, g.level, g.type])).toEqual([["legacy raven message", "info", "default"]]);
  });

  it("acknowledges and drops a transaction", async () => {
    const p = await seedProject();
    const id = newEventId();
    const res = await postStore(p.projectId, JSON.stringify({ type: "transaction", event_id: id, spans: [] }), sentryAuth(p.key));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id });
    expect(await projectState(p.projectId)).toEqual({ issues: [], events: [], windows: [] });
  });

  it("400 for a body that is not a JSON event; 401 without a key; nothing written", async () => {
    const p = await seedProject();
    const bad = await postStore(p.projectId, "{not json", sentryAuth(p.key));
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/Event is not valid JSON/);
    const arr = await postStore(p.projectId, "[]", sentryAuth(p.key));
    expect(arr.status).toBe(400);
    const noKey = await postStore(p.projectId, JSON.stringify(errorEvent()));
    expect(noKey.status).toBe(401);
    expect(await projectState(p.projectId)).toEqual({ issues: [], events: [], windows: [] });
  });
});
