import { consumeDeliveries } from "./alerts/delivery-consumer";
import { app } from "./app";
import type { Env } from "./env";
import { runScheduled } from "./maintenance/scheduled";

export default {
  fetch: app.fetch,
  queue: (batch, env) => consumeDeliveries(batch, env),
  scheduled: async (controller, env) => {
    await runScheduled(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;
