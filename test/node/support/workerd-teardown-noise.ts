/**
 * Drops one line the workers pool prints after every test file: workerd's
 * `exception = workerd/api/web-socket.c++:NNN: disconnected: WebSocket peer disconnected`, logged when the pool
 * closes the test runner's WebSocket. It is normal teardown, not a failure; the pool filters its siblings
 * ("WebSocket was aborted", "operation canceled") but not this one in 0.15.1, and its log handler cannot be
 * replaced from the vitest config. Upstream fix: cloudflare/workers-sdk#13833 (pool 0.16+, which needs Node 22);
 * remove this when the pool is upgraded.
 *
 * Only a write consisting of exactly that line is dropped; everything else reaches stderr unchanged.
 */
const TEARDOWN_LINE = /^exception = workerd\/api\/web-socket\.c\+\+:\d+: disconnected: WebSocket peer disconnected\n?$/;

export function isWorkerdTeardownNoise(chunk: unknown): boolean {
  const text = typeof chunk === "string" ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString("utf8") : "";
  return TEARDOWN_LINE.test(text);
}

const filtered = new WeakSet<NodeJS.WriteStream>();

/** Filters the line out of the pool's output (it writes workerd's logs to stdout or stderr by level). */
export function dropWorkerdTeardownNoise(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) filterStream(stream);
}

function filterStream(stream: NodeJS.WriteStream): void {
  if (filtered.has(stream)) return;
  filtered.add(stream);
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (isWorkerdTeardownNoise(chunk)) {
      // Keep the write contract: call a completion callback if one was given.
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
