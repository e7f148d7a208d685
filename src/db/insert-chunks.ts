/**
 * D1 binds at most 100 parameters per statement, so a multi-row insert of n rows of c columns must be cut into
 * statements of at most floor(100 / c) rows (each riding in one D1 batch: one round trip, all or nothing).
 */
import { getTableColumns, type Table } from "drizzle-orm";

export const D1_MAX_BOUND_PARAMETERS = 100;

/** `rows` cut so that each piece binds at most 100 parameters, counting every column of `table` per row. */
export function insertChunks<T>(table: Table, rows: T[]): T[][] {
  const perStatement = Math.max(1, Math.floor(D1_MAX_BOUND_PARAMETERS / Object.keys(getTableColumns(table)).length));
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += perStatement) chunks.push(rows.slice(i, i + perStatement));
  return chunks;
}
