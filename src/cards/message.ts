/**
 * The Bot Framework message activity that carries a card. Teams shows `summary` in notifications and the
 * activity feed; a card message has no `text` (mixing both renders badly).
 */
import { plainText } from "./escape";
import type { AdaptiveCard, CardMessage } from "./types";

/** Longest summary (code points); Teams truncates notifications far earlier anyway. */
const SUMMARY_MAX = 180;

export function cardMessage(card: AdaptiveCard, summary: string): CardMessage {
  return {
    type: "message",
    summary: plainText(summary, SUMMARY_MAX),
    attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: card }],
  };
}
