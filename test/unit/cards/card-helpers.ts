/**
 * Test helpers for cards: schema validation with ajv against the official Adaptive Card 1.5 schema, and
 * walkers to find elements and actions in a card.
 */
import Ajv, { type ValidateFunction } from "ajv";
import draft6MetaSchema from "ajv/dist/refs/json-schema-draft-06.json";
import cardSchema from "./schema/adaptive-card-1.5.json";
import type { AdaptiveAction, AdaptiveCard, AdaptiveElement, ChoiceSetInput, SubmitAction, TextBlock } from "../../../src/cards/types";

let validator: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    ajv.addMetaSchema(draft6MetaSchema);
    // Draft-06 names the schema id `id`; ajv 8 only knows `$id`.
    const { id, ...schema } = cardSchema as Record<string, unknown>;
    validator = ajv.compile({ ...schema, $id: id as string });
  }
  return validator;
}

/** Schema errors of a root card (the Teams-only root `msteams` key is dropped first); [] when valid. */
export function schemaErrors(card: AdaptiveCard): string[] {
  const { msteams: _msteams, ...rest } = JSON.parse(JSON.stringify(card)) as AdaptiveCard;
  const validate = schemaValidator();
  if (validate(rest)) return [];
  return (validate.errors ?? []).slice(0, 10).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}

type Node = AdaptiveElement | AdaptiveAction | AdaptiveCard;

/** Every element, action and nested card, depth first, in document order. */
export function walk(card: AdaptiveCard): Node[] {
  const out: Node[] = [];
  const visit = (node: Node) => {
    out.push(node);
    const n = node as Record<string, unknown>;
    for (const key of ["body", "items", "columns", "actions"]) {
      const list = n[key];
      if (Array.isArray(list)) for (const child of list) visit(child as Node);
    }
    if (n.type === "Action.ShowCard") visit(n.card as AdaptiveCard);
  };
  visit(card);
  return out;
}

export function textBlocks(card: AdaptiveCard): TextBlock[] {
  return walk(card).filter((n): n is TextBlock => n.type === "TextBlock");
}

/** All text a reader can see rendered from markdown: TextBlocks, fact values, fallbackText. */
export function markdownTexts(card: AdaptiveCard): string[] {
  const texts: string[] = textBlocks(card).map((t) => t.text);
  for (const n of walk(card)) if (n.type === "FactSet") for (const f of n.facts) texts.push(f.title, f.value);
  if (card.fallbackText) texts.push(card.fallbackText);
  return texts;
}

/** The three buttons of an issue card (the ActionSet inside the last Container). */
export function issueButtons(card: AdaptiveCard): AdaptiveAction[] {
  const set = walk(card).find((n) => n.type === "ActionSet");
  if (!set || set.type !== "ActionSet") throw new Error("no ActionSet on the card");
  return set.actions;
}

export function choiceSet(card: AdaptiveCard, id: string): ChoiceSetInput | undefined {
  return walk(card).find((n): n is ChoiceSetInput => n.type === "Input.ChoiceSet" && n.id === id);
}

export function submits(card: AdaptiveCard): SubmitAction[] {
  return walk(card).filter((n): n is SubmitAction => n.type === "Action.Submit");
}

/**
 * The targets of the markdown links `[text](target)` a renderer would see: a small scanner that honours
 * backslash escapes (so an escaped `\[x\](y)` is not a link, and `[a\\](y)` is).
 */
export function linkTargets(text: string): string[] {
  const targets: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "[") {
      let j = i + 1;
      while (j < text.length && text[j] !== "]") j += text[j] === "\\" ? 2 : 1;
      if (text[j] === "]" && text[j + 1] === "(") {
        const end = text.indexOf(")", j + 2);
        if (end > 0) {
          targets.push(text.slice(j + 2, end));
          i = end + 1;
          continue;
        }
      }
    }
    i++;
  }
  return targets;
}
