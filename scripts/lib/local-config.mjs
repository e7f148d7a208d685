/**
 * The local configuration the scripts read, in one place: the secrets file (.dev.vars, dotenv format) and the
 * `vars` of the wrangler configuration. The latter goes through wrangler's own reader, so wrangler.toml,
 * wrangler.json and wrangler.jsonc are read exactly as `wrangler dev` reads them.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The project's wrangler configuration file, as wrangler looks for it (wrangler.json, .jsonc, then .toml). */
export function wranglerConfigPath(root) {
  return ["wrangler.json", "wrangler.jsonc", "wrangler.toml"].map((name) => join(root, name)).find(existsSync) ?? join(root, "wrangler.toml");
}

/** KEY=VALUE lines of a dotenv file (comments and blank lines skipped, surrounding quotes removed); {} if absent. */
export function readDevVars(path) {
  const vars = {};
  if (!existsSync(path)) return vars;
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return vars;
}

/**
 * The top-level `vars` of a wrangler configuration file (string values only, as the scripts use them); {} if the
 * file is absent. Loads wrangler on first use (about a second), so only commands that need it pay for it.
 */
export async function readWranglerVars(path) {
  if (!existsSync(path)) return {};
  const { experimental_readRawConfig: readRawConfig } = await import("wrangler");
  const { rawConfig } = readRawConfig({ config: path });
  return Object.fromEntries(Object.entries(rawConfig.vars ?? {}).filter(([, v]) => typeof v === "string"));
}
