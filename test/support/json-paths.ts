/** Helpers for mutation fuzzing of JSON bodies. */

/** Every key path in a JSON value (objects and arrays), parents before children. */
export function paths(node: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      out.push([...prefix, k]);
      paths(v, [...prefix, k], out);
    }
  }
  return out;
}

/** A copy of `root` with the value at `path` replaced (or removed). */
export function setPath(root: Record<string, unknown>, path: string[], value: unknown, remove: boolean): Record<string, unknown> {
  const copy = structuredClone(root);
  let node: any = copy;
  for (const k of path.slice(0, -1)) node = node[k];
  if (remove) delete node[path.at(-1)!];
  else node[path.at(-1)!] = value;
  return copy;
}
