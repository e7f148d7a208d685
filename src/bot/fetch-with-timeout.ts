/**
 * fetch with a per-attempt timeout whose timer is cleared as soon as the answer arrives. AbortSignal.timeout keeps
 * its timer alive for the whole period even after the call finished, and workerd caps an isolate at 10,000 active
 * timeouts: a busy isolate making many short Connector calls would hit that cap.
 */
export async function fetchWithTimeout(fetchFn: typeof fetch, input: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("The request timed out.", "TimeoutError")), timeoutMs);
  try {
    return await fetchFn(input, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}
