/**
 * The filter for workerd's teardown line (test/node/support/workerd-teardown-noise.ts) drops exactly that line and
 * lets everything else through, including real workerd errors.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { dropWorkerdTeardownNoise, isWorkerdTeardownNoise } from "./support/workerd-teardown-noise";

const LINE = "exception = workerd/api/web-socket.c++:821: disconnected: WebSocket peer disconnected\n";

describe("workerd teardown noise filter", () => {
  it("recognises the teardown line, as a string or bytes, whatever the source line number", () => {
    expect(isWorkerdTeardownNoise(LINE)).toBe(true);
    expect(isWorkerdTeardownNoise(Buffer.from(LINE))).toBe(true);
    expect(isWorkerdTeardownNoise(LINE.replace("821", "1024"))).toBe(true);
  });

  it("lets other workerd messages and anything around the line through", () => {
    expect(isWorkerdTeardownNoise("exception = workerd/api/web-socket.c++:821: disconnected: WebSocket was aborted\n")).toBe(false);
    expect(isWorkerdTeardownNoise(`Error: boom\n${LINE}`)).toBe(false);
    expect(isWorkerdTeardownNoise(`${LINE}more`)).toBe(false);
    expect(isWorkerdTeardownNoise("uncaught exception; source = Uncaught (in promise); stack = TypeError: x\n")).toBe(false);
  });

  it("on a stream, drops the line, passes the rest, and still calls write callbacks", async () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
    const seen: string[] = [];
    stream.on("data", (d: Buffer) => seen.push(d.toString("utf8")));
    dropWorkerdTeardownNoise([stream]);
    let called = 0;
    stream.write(LINE, () => called++);
    stream.write("real error\n", () => called++);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(["real error\n"]);
    expect(called).toBe(2);
  });
});
