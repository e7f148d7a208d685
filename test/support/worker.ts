import { exports } from "cloudflare:workers";

/** Sends a request through the worker's own fetch handler (same isolate, real bindings). */
export function workerFetch(input: string | Request, init?: RequestInit): Promise<Response> {
  const worker = (exports as unknown as { default: { fetch(i: string | Request, init?: RequestInit): Promise<Response> } })
    .default;
  return worker.fetch(input, init);
}
