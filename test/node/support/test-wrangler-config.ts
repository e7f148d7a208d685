/**
 * The wrangler config the in-worker tests run with: a copy of wrangler.toml in a folder of its own.
 *
 * Why a copy: the pool asks wrangler for the worker's bindings, and wrangler also loads `.dev.vars` from the
 * config's folder. In a checkout where `npm start` has run, that file holds the developer's secrets (and maybe a
 * real MICROSOFT_APP_TENANT_ID): the tests would print "Using secrets defined in .dev.vars" once per file and,
 * worse, see values the test bindings do not override. Next to the copy there is no `.dev.vars`, so the tests see
 * wrangler.toml plus their own bindings, and nothing else. The copy is rewritten on every run (never stale);
 * `main` is passed to the pool explicitly, so the copy's relative paths are not used.
 */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

export function testWranglerConfig(root: string): string {
  const dir = resolve(root, "node_modules/.cache/test-wrangler-config");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "wrangler.toml");
  // Removed first, not overwritten: a node_modules copied with hard links (cp -al) shares this file with other
  // checkouts, and writing through the link would hand them this checkout's bindings (and us theirs).
  rmSync(path, { force: true });
  copyFileSync(resolve(root, "wrangler.toml"), path);
  return path;
}
