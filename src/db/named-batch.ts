/**
 * A D1 batch whose statements have names: the answer is a record of results by name, never a position to count.
 * A statement given as `null` is left out of the call (nothing to write), and its result is empty.
 */
export type NamedResults<K extends string> = Record<K, D1Result<Record<string, unknown>>>;

export async function namedBatch<K extends string>(d1: D1Database, statements: Record<K, D1PreparedStatement | null>): Promise<NamedResults<K>> {
  const names = (Object.keys(statements) as K[]).filter((k) => statements[k] !== null);
  const results = names.length ? await d1.batch<Record<string, unknown>>(names.map((k) => statements[k]!)) : [];
  const out = {} as NamedResults<K>;
  for (const k of Object.keys(statements) as K[]) out[k] = { results: [], success: true, meta: {} as D1Result["meta"] };
  names.forEach((k, i) => (out[k] = results[i]));
  return out;
}
