/**
 * D1 shared between two workerd processes, for bench/storm.mjs's "split" topology: one harness serves its D1 over
 * HTTP (`d1Gateway`), another uses it as its `DB` binding (`remoteD1`). On Cloudflare, D1 is a service of its own
 * that every isolate of the worker reaches over the network; locally, every binding lives in the one workerd
 * process of a Miniflare instance, so an error storm and a card click share one JavaScript thread. With this, the
 * storm's process and the clicks' process are separate and share only the database, as on Cloudflare.
 *
 * The wire format is one JSON object per call: `{ op, statements: [{ sql, params }], column?, columnNames? }`,
 * answered by `{ result }` or `{ error }` (D1's message, so callers see the same errors, e.g. UNIQUE violations).
 */

/** The gateway: a worker beside the harness's own, bound to the same D1 database, answering calls over HTTP. */
export const D1_GATEWAY_SCRIPT = `
export default {
  async fetch(request, env) {
    const { op, statements, column, columnNames } = await request.json();
    try {
      const prepared = statements.map((s) => env.DB.prepare(s.sql).bind(...s.params));
      let result;
      if (op === "batch") result = await env.DB.batch(prepared);
      else if (op === "exec") result = await env.DB.exec(statements[0].sql);
      else if (op === "first") result = column === undefined ? await prepared[0].first() : await prepared[0].first(column);
      else if (op === "raw") result = await prepared[0].raw({ columnNames: !!columnNames });
      else if (op === "all" || op === "run") result = await prepared[0][op]();
      else return Response.json({ error: "unknown op " + op });
      return Response.json({ result });
    } catch (err) {
      return Response.json({ error: String(err && err.message ? err.message : err) });
    }
  },
};
`;

/**
 * The other side: a wrapped binding (a function of its inner bindings that returns the binding) with D1's API —
 * prepare / bind / first / all / run / raw, batch, exec — each call one request to the gateway (inner binding GATEWAY).
 */
export const REMOTE_D1_SCRIPT = `
export default function remoteD1(env) {
  const call = async (body) => {
    const res = await env.GATEWAY.fetch("http://d1-gateway/", { method: "POST", body: JSON.stringify(body) });
    const out = await res.json();
    if ("error" in out) throw new Error(out.error);
    return out.result;
  };
  class Statement {
    constructor(sql, params) { this.sql = sql; this.params = params; }
    bind(...params) { return new Statement(this.sql, params); }
    first(column) { return call({ op: "first", statements: [this], column }); }
    all() { return call({ op: "all", statements: [this] }); }
    run() { return call({ op: "run", statements: [this] }); }
    raw(options) { return call({ op: "raw", statements: [this], columnNames: options && options.columnNames }); }
    toJSON() { return { sql: this.sql, params: this.params }; }
  }
  return {
    prepare: (sql) => new Statement(sql, []),
    batch: (statements) => call({ op: "batch", statements }),
    exec: (sql) => call({ op: "exec", statements: [{ sql, params: [] }] }),
  };
}
`;
