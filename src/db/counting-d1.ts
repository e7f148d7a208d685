/**
 * A D1 binding that counts the statements it sends (each statement of a batch counts; `exec` counts its lines'
 * statements as D1 reports them). Ingest's flushes run on it so the statements per accepted event are measured,
 * not derived (src/ingest/ingest-buffer.ts keeps the totals; GET /api/admin/projects/{id}/ingest-stats shows them).
 */
export type StatementCount = { statements: number };

export function countingD1(d1: D1Database, count: StatementCount): D1Database {
  // D1's batch() takes only its own statement objects: every wrapper remembers the statement it stands for.
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (s: D1PreparedStatement): D1PreparedStatement => {
    const w = {
      bind: (...values: unknown[]) => wrap(s.bind(...values)),
      first: (column?: string) => {
        count.statements++;
        return column === undefined ? s.first() : s.first(column);
      },
      run: () => {
        count.statements++;
        return s.run();
      },
      all: () => {
        count.statements++;
        return s.all();
      },
      raw: (options?: { columnNames?: boolean }) => {
        count.statements++;
        return s.raw(options as { columnNames: true });
      },
    } as unknown as D1PreparedStatement;
    real.set(w, s);
    return w;
  };
  return {
    prepare: (query: string) => wrap(d1.prepare(query)),
    batch: (statements: D1PreparedStatement[]) => {
      count.statements += statements.length;
      return d1.batch(statements.map((s) => real.get(s) ?? s));
    },
    exec: async (query: string) => {
      const result = await d1.exec(query);
      count.statements += result.count;
      return result;
    },
    dump: () => d1.dump(),
    withSession: (constraint?: string) => d1.withSession(constraint),
  } as unknown as D1Database;
}
