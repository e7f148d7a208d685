/**
 * A read that travels in a D1 batch with other statements: one call instead of several. Locally each D1 call costs
 * ~0.7 ms of workerd CPU whatever it carries, and in production a batch is one round trip (bench/RESULTS.md).
 */
import type { Db } from "./client";

export type BatchRead<T> = { statement: D1PreparedStatement; read: (result: D1Result) => T };

/** What batchRead needs of a drizzle select (its prepared query maps D1 batch results itself). */
type Preparable = { prepare(): { getQuery(): { sql: string; params: unknown[] }; mapResult(response: unknown, isFromBatch?: boolean): unknown } };

/**
 * A drizzle select as a BatchRead giving the same rows as awaiting it. A D1 batch answers rows as objects keyed by
 * column name, and a select with joins repeats names (id, name, ...); selected through a subquery, SQLite names the
 * repeats uniquely ("id:1", ...), so every column keeps its place for drizzle's mapping.
 */
export function batchRead<Q extends PromiseLike<unknown[]> & Preparable>(db: Db, query: Q): BatchRead<Awaited<Q>> {
  const prepared = query.prepare();
  const { sql, params } = prepared.getQuery();
  return {
    statement: db.$client.prepare(`select * from (${sql})`).bind(...params),
    read: (result) => prepared.mapResult(result, true) as Awaited<Q>,
  };
}
