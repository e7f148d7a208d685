/**
 * Small constructors for the Adaptive Card elements the builders use, so every card shares the same root
 * (version, schema, full width) and the same text defaults (wrap on: truncated text is worse than a wrapped
 * line in a chat).
 *
 * Text passed to these is inserted as is: escape user text first (escape.ts).
 */
import type {
  ActionStyle,
  AdaptiveAction,
  AdaptiveCard,
  AdaptiveElement,
  Column,
  ColumnSet,
  Container,
  ContainerStyle,
  Fact,
  FactSet,
  OpenUrlAction,
  TextBlock,
} from "./types";
import { safeUrl } from "./escape";

export const CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json";
/** Teams renders up to 1.5; `style: "filtered"` choice sets need 1.5. */
export const CARD_VERSION = "1.5";

/** A root card: schema, version 1.5, Teams full width. */
export function rootCard(parts: { body: AdaptiveElement[]; actions?: AdaptiveAction[]; fallbackText?: string }): AdaptiveCard {
  const card: AdaptiveCard = { type: "AdaptiveCard", $schema: CARD_SCHEMA, version: CARD_VERSION, body: parts.body };
  if (parts.actions && parts.actions.length > 0) card.actions = parts.actions;
  if (parts.fallbackText) card.fallbackText = parts.fallbackText;
  card.msteams = { width: "Full" };
  return card;
}

/** A nested card (inside Action.ShowCard): no schema, version or msteams. */
export function nestedCard(body: AdaptiveElement[], actions: AdaptiveAction[]): AdaptiveCard {
  return { type: "AdaptiveCard", body, actions };
}

export function textBlock(text: string, options: Omit<TextBlock, "type" | "text"> = {}): TextBlock {
  return { type: "TextBlock", text, wrap: true, ...options };
}

/** A card title: large and bold. */
export function heading(text: string, options: Omit<TextBlock, "type" | "text"> = {}): TextBlock {
  return textBlock(text, { size: "Large", weight: "Bolder", ...options });
}

export function factSet(facts: Fact[], options: Omit<FactSet, "type" | "facts"> = {}): FactSet {
  return { type: "FactSet", facts, ...options };
}

export function container(items: AdaptiveElement[], options: Omit<Container, "type" | "items"> = {}): Container {
  return { type: "Container", items, ...options };
}

export function column(items: AdaptiveElement[], width: Column["width"], options: Omit<Column, "type" | "items" | "width"> = {}): Column {
  return { type: "Column", width, items, ...options };
}

export function columnSet(columns: Column[], options: Omit<ColumnSet, "type" | "columns"> = {}): ColumnSet {
  return { type: "ColumnSet", columns, ...options };
}

/** An OpenUrl button; the URL must be absolute http(s) (checked). */
export function openUrl(title: string, url: string, style?: ActionStyle): OpenUrlAction {
  const action: OpenUrlAction = { type: "Action.OpenUrl", title, url: safeUrl(url) };
  if (style) action.style = style;
  return action;
}

export type Tone = "success" | "info" | "warning" | "error";

/** Container style and text colour for a tone (status colours on the issue card, result cards). */
export const TONE_STYLE: Record<Tone, { container: ContainerStyle; color: TextBlock["color"] }> = {
  success: { container: "good", color: "Good" },
  info: { container: "emphasis", color: "Accent" },
  warning: { container: "warning", color: "Warning" },
  error: { container: "attention", color: "Attention" },
};
