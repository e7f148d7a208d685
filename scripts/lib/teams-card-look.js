/*
 * How Teams shows an Adaptive Card, for the official `adaptivecards` JS renderer in a browser (plain browser
 * JavaScript, no build step; load it after adaptivecards.min.js). Shared by the playground
 * (scripts/dev-standin/playground) and the card preview (scripts/cards-preview.mjs), so both look the same.
 *
 * Sets `window.TeamsCardLook = { hostConfig }` (Teams' light theme, roughly) and, on the renderer itself:
 * - Teams' markdown subset in TextBlocks: backslash escapes, **bold**, _italic_, [text](url), "- " lists;
 * - a filtered ChoiceSet shows its default choice's *title* ("Me"), as Teams does, where the JS renderer writes
 *   the default *value* ("ME") into the text box. The renderer maps a title in the box back to its value, so
 *   the submitted data is unchanged.
 */
(function () {
  "use strict";
  const AC = window.AdaptiveCards;

  const foreground = {
    default: { default: "#242424", subtle: "#616161" },
    dark: { default: "#000000", subtle: "#424242" },
    light: { default: "#FFFFFF", subtle: "#F5F5F5" },
    accent: { default: "#5B5FC7", subtle: "#8B8CC7" },
    good: { default: "#0E700E", subtle: "#0E700E" },
    warning: { default: "#835C00", subtle: "#835C00" },
    attention: { default: "#C4314B", subtle: "#C4314B" },
  };
  const style = (backgroundColor) => ({ backgroundColor, foregroundColors: foreground });
  const hostConfig = new AC.HostConfig({
    fontFamily: "Segoe UI, system-ui, -apple-system, sans-serif",
    supportsInteractivity: true,
    spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 16 },
    separator: { lineThickness: 1, lineColor: "#E0E0E0" },
    fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
    fontWeights: { lighter: 300, default: 400, bolder: 600 },
    imageSizes: { small: 32, medium: 52, large: 100 },
    containerStyles: {
      default: style("#FFFFFF"),
      emphasis: style("#F5F5F5"),
      accent: style("#E8EBFA"),
      good: style("#F1FAF1"),
      attention: style("#FDF3F4"),
      warning: style("#FFF9F5"),
    },
    actions: { maxActions: 6, spacing: "default", buttonSpacing: 8, actionsOrientation: "horizontal", actionAlignment: "left", showCard: { actionMode: "inline", inlineTopMargin: 12 } },
  });

  const escapeHtml = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const inline = (text) => {
    const escaped = [];
    let s = text.replace(/\\([\\`*_~[\]()#+\-.!>|{}])/g, (_, c) => {
      escaped.push(c);
      return `\u0000${escaped.length - 1}\u0000`;
    });
    s = escapeHtml(s);
    s = s.replace(/\[([^\]]*)\]\((https?:[^)\s]*)\)/g, '<a href="$2" target="_blank" rel="noopener">$1</a>');
    s = s.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
    s = s.replace(/(^|[^\w])_([^_]+)_(?!\w)/g, "$1<em>$2</em>");
    return s.replace(/\u0000(\d+)\u0000/g, (_, i) => escapeHtml(escaped[Number(i)]));
  };
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    const lines = text.split(/\r\n|\r|\n/);
    if (lines.length > 1 && lines.every((l) => /^- /.test(l) || l === "")) {
      result.outputHtml = `<ul>${lines.filter(Boolean).map((l) => `<li>${inline(l.slice(2))}</li>`).join("")}</ul>`;
    } else {
      result.outputHtml = `<p>${lines.map(inline).join("<br>")}</p>`;
    }
    result.didProcess = true;
  };

  const renderChoiceSet = AC.ChoiceSetInput.prototype.internalRender;
  AC.ChoiceSetInput.prototype.internalRender = function () {
    const element = renderChoiceSet.call(this);
    const choice = this.style === "filtered" && this.choices.find((c) => c.value === this.defaultValue);
    const box = element && element.querySelector("input[type=text]");
    if (choice && choice.title && box) box.value = choice.title;
    return element;
  };

  window.TeamsCardLook = { hostConfig };
})();
