import { consumeDeliveries } from "./alerts/delivery-consumer";
import { app } from "./app";
import type { Env } from "./env";

export default {
  fetch: app.fetch,
  queue: (batch, env) => consumeDeliveries(batch, env),
} satisfies ExportedHandler<Env>;
