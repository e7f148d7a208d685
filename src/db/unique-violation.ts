/**
 * True when a query failed on a UNIQUE constraint. Drizzle wraps the D1 error (DrizzleQueryError.cause), so
 * the whole cause chain is searched. Callers map this to a 409: checking with a SELECT first would race.
 */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const message = e instanceof Error ? e.message : String(e);
    if (/UNIQUE constraint failed|SQLITE_CONSTRAINT_PRIMARYKEY|PRIMARY KEY constraint failed/i.test(message)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}
