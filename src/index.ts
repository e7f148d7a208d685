import { consumeDeadLetters, consumeDeliveries, DELIVERY_DEAD_LETTER_QUEUE } from "./alerts/delivery-consumer";
import { app } from "./app";
import type { Env } from "./env";
import { consumeEventDeadLetters, consumeEvents, EVENTS_DEAD_LETTER_QUEUE, EVENTS_QUEUE } from "./ingest/consumer";
import { runScheduled } from "./maintenance/scheduled";

export { DeliveryOutbox } from "./alerts/delivery-outbox";
export { IngestBuffer } from "./ingest/ingest-buffer";

export default {
  fetch: app.fetch,
  queue: (batch, env) => {
    switch (batch.queue) {
      case EVENTS_QUEUE:
        return consumeEvents(batch, env);
      case EVENTS_DEAD_LETTER_QUEUE:
        return consumeEventDeadLetters(batch, env);
      case DELIVERY_DEAD_LETTER_QUEUE:
        return consumeDeadLetters(batch, env);
      default:
        return consumeDeliveries(batch, env);
    }
  },
  scheduled: async (controller, env) => {
    await runScheduled(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;
