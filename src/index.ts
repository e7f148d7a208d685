import { consumeDeliveries } from "./alerts/delivery-consumer";
import { app } from "./app";
import type { Env } from "./env";
import { consumeEventDeadLetters, consumeEvents, EVENTS_DEAD_LETTER_QUEUE, EVENTS_QUEUE } from "./ingest/consumer";
import { runScheduled } from "./maintenance/scheduled";

export default {
  fetch: app.fetch,
  queue: (batch, env) =>
    batch.queue === EVENTS_QUEUE
      ? consumeEvents(batch, env)
      : batch.queue === EVENTS_DEAD_LETTER_QUEUE
        ? consumeEventDeadLetters(batch, env)
        : consumeDeliveries(batch, env),
  scheduled: async (controller, env) => {
    await runScheduled(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;
