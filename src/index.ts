import { consumeDeadLetters, consumeDeliveries, DELIVERY_DEAD_LETTER_QUEUE } from "./alerts/delivery-consumer";
import { app } from "./app";
import type { Env } from "./env";
import { runScheduled } from "./maintenance/scheduled";

export { DeliveryOutbox } from "./alerts/delivery-outbox";

export default {
  fetch: app.fetch,
  queue: (batch, env) => (batch.queue === DELIVERY_DEAD_LETTER_QUEUE ? consumeDeadLetters(batch, env) : consumeDeliveries(batch, env)),
  scheduled: async (controller, env) => {
    await runScheduled(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;
