// A very small syntax highlighter for finished files (HTML, CSS, JavaScript, JSON): a handful of token
// rules, never more than a colour hint. Text is placed with text nodes only, never parsed as markup.

const STRING = String.raw`"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'`;
const BLOCK_COMMENT = String.raw`\/\*[\s\S]*?\*\/`;

const LANGUAGES = {
  js: [
    ["comment", String.raw`\/\/[^\n]*|${BLOCK_COMMENT}`],
    ["string", String.raw`\x60(?:\\[\s\S]|[^\\\x60])*\x60|${STRING}`],
    ["keyword", String.raw`\b(?:const|let|var|function|return|if|else|for|while|do|switch|case|break|continue|new|class|extends|import|export|from|default|try|catch|finally|throw|async|await|of|in|typeof|instanceof|this|null|undefined|true|false)\b`],
    ["number", String.raw`\b\d+(?:\.\d+)?\b`],
  ],
  css: [
    ["comment", BLOCK_COMMENT],
    ["string", STRING],
    ["keyword", String.raw`@[\w-]+`],
    ["property", String.raw`[\w-]+(?=\s*:[^;{}]*[;}])`],
    ["number", String.raw`#[0-9a-fA-F]{3,8}\b|-?\b\d+(?:\.\d+)?(?:px|rem|em|%|vh|vw|s|ms|fr|deg)?`],
  ],
  html: [
    ["comment", String.raw`<!--[\s\S]*?-->`],
    ["tag", String.raw`<\/?[a-zA-Z][\w-]*|\/?>`],
    ["property", String.raw`[\w:@-]+(?==)`],
    ["string", STRING],
  ],
};
LANGUAGES.json = [["property", String.raw`"(?:\\.|[^"\\\n])*"(?=\s*:)`], ["string", STRING], ["number", String.raw`-?\b\d+(?:\.\d+)?\b`], ["keyword", String.raw`\b(?:true|false|null)\b`]];
LANGUAGES.mjs = LANGUAGES.js;
LANGUAGES.htm = LANGUAGES.html;
LANGUAGES.svg = LANGUAGES.html;

const compiled = {};
const MAX_HIGHLIGHT_CHARS = 200_000;

function patternFor(language) {
  if (!compiled[language]) {
    const rules = LANGUAGES[language];
    compiled[language] = {
      names: rules.map(([name]) => name),
      regex: new RegExp(rules.map(([, source]) => `(${source})`).join("|"), "g"),
    };
  }
  return compiled[language];
}

export function languageOf(path) {
  const match = /\.([a-z0-9]+)$/i.exec(path || "");
  const ext = match ? match[1].toLowerCase() : "";
  return LANGUAGES[ext] ? ext : null;
}

// Returns a DocumentFragment of text and <span class="tok-…"> nodes for `text`.
export function highlight(text, path) {
  const fragment = document.createDocumentFragment();
  const language = languageOf(path);
  if (!language || text.length > MAX_HIGHLIGHT_CHARS) {
    fragment.append(document.createTextNode(text));
    return fragment;
  }
  const { names, regex } = patternFor(language);
  let last = 0;
  for (const match of text.matchAll(regex)) {
    if (match[0] === "") continue;
    if (match.index > last) fragment.append(document.createTextNode(text.slice(last, match.index)));
    const group = match.findIndex((value, index) => index > 0 && value !== undefined);
    const span = document.createElement("span");
    span.className = `tok-${names[group - 1]}`;
    span.textContent = match[0];
    fragment.append(span);
    last = match.index + match[0].length;
  }
  if (last < text.length) fragment.append(document.createTextNode(text.slice(last)));
  return fragment;
}
