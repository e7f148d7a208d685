/**
 * `npm run package:teams`, run as people run it: the zip must hold exactly manifest.json, color.png and
 * outline.png at its root; the manifest must validate against Microsoft's Teams manifest JSON schema (shipped in
 * @microsoft/app-manifest, read from disk: nothing is fetched) and carry our bot id, version, scopes and commands;
 * the icons must be real PNGs of the sizes Teams requires (outline: white on transparent).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { crc32, inflateSync } from "node:zlib";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { unzipSync, strFromU8 } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(__dirname, "../..");
const run = promisify(execFile);
const APP_ID = "0d5f2c1e-7a3b-4c9d-8e6f-123456789abc";
const BASE = "https://teams-issue-alerts.example.workers.dev";

const schemaDir = join(root, "node_modules/@microsoft/app-manifest/build/json-schemas/teams");

function validatorFor(manifestVersion: string) {
  const schema = JSON.parse(readFileSync(join(schemaDir, `v${manifestVersion}`, "MicrosoftTeams.schema.json"), "utf8"));
  // The same validator setup @microsoft/app-manifest uses for draft-04 schemas.
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  addFormats(ajv, ["uri", "email", "regex"]);
  return ajv.compile(schema);
}

/** The newest numbered manifest schema in the package, e.g. "1.30". */
function newestSchemaVersion(): string {
  const versions = readdirSync(schemaDir)
    .filter((d) => /^v\d+\.\d+$/.test(d))
    .map((d) => d.slice(1));
  return versions.sort((a, b) => {
    const [a1, a2] = a.split(".").map(Number);
    const [b1, b2] = b.split(".").map(Number);
    return a1 - b1 || a2 - b2;
  })[versions.length - 1];
}

type Png = { width: number; height: number; colorType: number; pixels: Buffer };

/** A PNG decoder for what the icons must be: 8-bit RGBA, not interlaced; every chunk CRC checked, any row filter. */
function decodePng(bytes: Uint8Array): Png {
  const buf = Buffer.from(bytes);
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let ihdr: Buffer | null = null;
  const idat: Buffer[] = [];
  let ended = false;
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString("ascii", offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    expect(buf.readUInt32BE(offset + 8 + length), `CRC of ${type}`).toBe(crc32(buf.subarray(offset + 4, offset + 8 + length)));
    if (type === "IHDR") ihdr = data;
    if (type === "IDAT") idat.push(data);
    if (type === "IEND") ended = true;
    offset += 12 + length;
  }
  expect(ended).toBe(true);
  expect(ihdr).not.toBeNull();
  const width = ihdr!.readUInt32BE(0);
  const height = ihdr!.readUInt32BE(4);
  const colorType = ihdr![9];
  expect(ihdr![8]).toBe(8);
  expect(colorType).toBe(6);
  expect(ihdr![12]).toBe(0);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  expect(raw.length).toBe((stride + 1) * height);
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    expect(filter, `row ${y} filter type`).toBeLessThanOrEqual(4);
    for (let x = 0; x < stride; x++) {
      const cur = raw[y * (stride + 1) + 1 + x];
      const a = x >= 4 ? pixels[y * stride + x - 4] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? pixels[(y - 1) * stride + x - 4] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      pixels[y * stride + x] = (cur + predictor) & 0xff;
    }
  }
  return { width, height, colorType, pixels };
}

describe("npm run package:teams", () => {
  let dir: string;
  let files: Record<string, Uint8Array>;
  let manifest: Record<string, any>;
  let stdout: string;
  const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version as string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "teams-package-"));
    const out = join(dir, "teams-app.zip");
    ({ stdout } = await run("npm", ["run", "--silent", "package:teams", "--", "--out", out, "--dev-vars", join(dir, "none.vars")], {
      cwd: root,
      env: { ...process.env, MICROSOFT_APP_ID: APP_ID, PUBLIC_BASE_URL: BASE, TEAMS_APP_ID: "" },
    }));
    files = unzipSync(new Uint8Array(readFileSync(out)));
    manifest = JSON.parse(strFromU8(files["manifest.json"]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("zips exactly manifest.json, color.png and outline.png at the root", () => {
    expect(Object.keys(files).sort()).toEqual(["color.png", "manifest.json", "outline.png"]);
    expect(stdout).toContain("teams-app.zip");
  });

  it("the manifest validates against the newest Teams manifest schema the package ships", () => {
    expect(manifest.manifestVersion).toBe(newestSchemaVersion());
    expect(manifest.$schema).toContain(`/teams/v${manifest.manifestVersion}/MicrosoftTeams.schema.json`);
    const validate = validatorFor(manifest.manifestVersion);
    const valid = validate(manifest);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it("the schema check is real: a broken manifest fails it", () => {
    const validate = validatorFor(manifest.manifestVersion);
    const broken = structuredClone(manifest);
    broken.bots[0].botId = "not-a-guid";
    broken.accentColor = "purple";
    delete broken.developer.privacyUrl;
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join("\n");
    expect(paths).toContain("/bots/0/botId");
    expect(paths).toContain("/accentColor");
    expect(paths).toContain("privacyUrl");
  });

  it("carries our bot: version from package.json, MICROSOFT_APP_ID, personal + team, help / link / unlink, the worker's domain", () => {
    expect(manifest.version).toBe(version);
    expect(manifest.id).toBe(APP_ID);
    expect(manifest.bots).toHaveLength(1);
    const bot = manifest.bots[0];
    expect(bot.botId).toBe(APP_ID);
    expect(bot.scopes.sort()).toEqual(["personal", "team"]);
    const personal = bot.commandLists.find((l: { scopes: string[] }) => l.scopes.includes("personal"));
    expect(personal.commands.map((c: { title: string }) => c.title)).toEqual(["help", "link", "unlink"]);
    expect(manifest.validDomains).toEqual(["teams-issue-alerts.example.workers.dev"]);
    expect(manifest.icons).toEqual({ color: "color.png", outline: "outline.png" });
    expect(manifest.developer).toMatchObject({ websiteUrl: `${BASE}/about`, privacyUrl: `${BASE}/privacy`, termsOfUseUrl: `${BASE}/terms` });
  });

  it("color.png is 192×192 and opaque; outline.png is 32×32, white on transparent", () => {
    const color = decodePng(files["color.png"]);
    expect([color.width, color.height]).toEqual([192, 192]);
    const colors = new Set<number>();
    let notOpaque = 0;
    for (let i = 0; i < color.pixels.length; i += 4) {
      if (color.pixels[i + 3] !== 255) notOpaque++;
      colors.add(color.pixels.readUInt32BE(i));
    }
    expect(notOpaque).toBe(0);
    expect(colors.size).toBeGreaterThan(2); // a drawn mark, not a flat square

    const outline = decodePng(files["outline.png"]);
    expect([outline.width, outline.height]).toEqual([32, 32]);
    let transparent = 0;
    let opaque = 0;
    const notWhite: number[] = [];
    for (let i = 0; i < outline.pixels.length; i += 4) {
      const [r, g, b, a] = outline.pixels.subarray(i, i + 4);
      if (a === 0) transparent++;
      else {
        if (r !== 255 || g !== 255 || b !== 255) notWhite.push(i / 4);
        if (a === 255) opaque++;
      }
    }
    expect(notWhite).toEqual([]);
    expect(transparent).toBeGreaterThan(32 * 32 * 0.4);
    expect(opaque).toBeGreaterThan(32);
  });

  it("is reproducible: the same settings give the same bytes", async () => {
    const again = join(dir, "again.zip");
    await run("npm", ["run", "--silent", "package:teams", "--", "--out", again, "--dev-vars", join(dir, "none.vars")], {
      cwd: root,
      env: { ...process.env, MICROSOFT_APP_ID: APP_ID, PUBLIC_BASE_URL: BASE, TEAMS_APP_ID: "" },
    });
    expect(readFileSync(again).equals(readFileSync(join(dir, "teams-app.zip")))).toBe(true);
  });

  it("without MICROSOFT_APP_ID it exits non-zero and says where to set it, writing nothing", async () => {
    const out = join(dir, "missing.zip");
    const env: NodeJS.ProcessEnv = { ...process.env, PUBLIC_BASE_URL: BASE };
    delete env.MICROSOFT_APP_ID;
    const failure = await run("npm", ["run", "--silent", "package:teams", "--", "--out", out, "--dev-vars", join(dir, "none.vars")], { cwd: root, env }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain("MICROSOFT_APP_ID is not set");
    expect(failure?.stderr).toContain("wrangler.toml");
    expect(() => readFileSync(out)).toThrow();
  });
});
