/** Local TCP ports: is one free, or give me any free one (both on 127.0.0.1, where the local servers listen). */
import { createServer } from "node:net";

/** True when nothing listens on 127.0.0.1:`port` (we could bind it). */
export function isPortFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A port the OS considers free right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
