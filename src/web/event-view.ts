/**
 * The stored event payload (the normalised event, see issues/event.ts) read totally for display: every field is
 * checked, unknown shapes become "absent". Context lines, frame variables, breadcrumbs and the request are shown
 * when the payload carries them.
 */
export type FrameView = {
  where: string;
  function: string;
  inApp: boolean;
  contextLine?: string;
  preContext: string[];
  postContext: string[];
  vars: [string, string][];
};
export type ExceptionView = { type: string; value: string; frames: FrameView[] };
export type BreadcrumbView = { time: string; category: string; level: string; message: string };
export type EventView = {
  message: string;
  exceptions: ExceptionView[];
  breadcrumbs: BreadcrumbView[];
  request: { method: string; url: string; headers: [string, string][] } | null;
  user: [string, string][];
  contexts: [string, string][];
  truncated: boolean;
};

const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const str = (v: unknown, max = 2000): string => (typeof v === "string" ? v.slice(0, max) : typeof v === "number" || typeof v === "boolean" ? String(v) : "");
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => list(v).slice(0, 10).map((s) => str(s, 500));

function pairs(v: unknown, max = 50): [string, string][] {
  const o = obj(v);
  if (!o) return [];
  return Object.entries(o)
    .slice(0, max)
    .map(([k, val]) => [k.slice(0, 200), typeof val === "string" ? val.slice(0, 500) : JSON.stringify(val)?.slice(0, 500) ?? ""]);
}

function frameView(v: unknown): FrameView | null {
  const f = obj(v);
  if (!f) return null;
  const file = str(f.filename) || str(f.module) || "?";
  const line = typeof f.lineno === "number" ? `:${f.lineno}` : "";
  return {
    where: `${file}${line}`,
    function: str(f.function) || "?",
    inApp: f.inApp === true,
    contextLine: typeof f.contextLine === "string" ? f.contextLine.slice(0, 500) : undefined,
    preContext: strings(f.preContext),
    postContext: strings(f.postContext),
    vars: pairs(f.vars, 30),
  };
}

export function eventView(payload: unknown, fallbackMessage: string): EventView {
  const p = obj(payload) ?? {};
  const exceptions = list(p.exceptions)
    .slice(0, 20)
    .map((e) => {
      const x = obj(e) ?? {};
      const frames = list(obj(x.stacktrace)?.frames)
        .slice(-250)
        .map(frameView)
        .filter((f): f is FrameView => f !== null);
      return { type: str(x.type, 200) || "Error", value: str(x.value, 4000), frames };
    });
  const request = obj(p.request);
  return {
    message: str(p.message, 8000) || fallbackMessage,
    exceptions,
    breadcrumbs: list(p.breadcrumbs)
      .slice(-100)
      .map((b) => obj(b) ?? {})
      .map((b) => ({ time: typeof b.timestamp === "number" ? new Date(b.timestamp).toISOString() : str(b.timestamp, 40), category: str(b.category, 100), level: str(b.level, 20), message: str(b.message, 1000) })),
    request: request ? { method: str(request.method, 10), url: str(request.url, 2000), headers: pairs(request.headers, 40) } : null,
    user: pairs(p.user, 10),
    contexts: pairs(p.contexts, 30),
    truncated: p.truncated === true,
  };
}
