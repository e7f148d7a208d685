/**
 * The real worker (Miniflare, local D1, its queues) with the sign-in authority stand-in served to a real headless
 * Chromium: what every browser test of the web app starts with. Microsoft is answered at the worker's outbound
 * fetch by the test's `outbound`.
 */
import { chromium, type Browser } from "playwright-core";
import { SignInAuthority } from "../../support/sign-in-authority";
import { serveAuthority } from "./authority-server";
import { freePort } from "./ports";
import { DEFAULT_BINDINGS, startWorker, type WorkerHarness } from "./worker-harness";

export type WebAppEnv = { authority: SignInAuthority; worker: WorkerHarness; browser: Browser; close(): Promise<void> };

/**
 * `fixedPublicUrl`: the worker gets a known port and PUBLIC_BASE_URL on it — cards are built in the queue consumer,
 * without a request, so their links use PUBLIC_BASE_URL.
 */
export async function startWebApp(outbound: (req: Request) => Promise<Response>, opts: { fixedPublicUrl?: boolean } = {}): Promise<WebAppEnv> {
  // Listen first (the server reads the authority per request), then build the authority on that port.
  let authority: SignInAuthority | undefined;
  const served = await serveAuthority(() => authority!);
  authority = await SignInAuthority.start(`http://127.0.0.1:${served.port}`, { id: DEFAULT_BINDINGS.MICROSOFT_APP_ID, secret: DEFAULT_BINDINGS.MICROSOFT_APP_PASSWORD, redirectUris: [] });
  const workerPort = opts.fixedPublicUrl ? await freePort() : undefined;
  const worker = await startWorker({
    ...(workerPort ? { port: workerPort } : {}),
    outboundService: outbound,
    queueConsumer: true,
    bindings: { SIGN_IN_METADATA_URL: authority.metadataUrl, ...(workerPort ? { PUBLIC_BASE_URL: `http://127.0.0.1:${workerPort}` } : {}) },
  });
  authority.client.redirectUris.push(`${worker.url}/auth/microsoft/callback`);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return {
    authority,
    worker,
    browser,
    async close() {
      await browser.close();
      await worker.dispose();
      await served.close();
    },
  };
}
