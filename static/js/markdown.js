// Markdown for the assistant's chat replies, safely: markdown-it (vendored, static/vendor/markdown-it/) parses
// with raw HTML off, and the page builds DOM nodes from its tokens itself. No HTML string is ever made or
// inserted, so a reply cannot carry markup, scripts or event handlers: `<script>` or `<img onerror>` in a reply
// is shown as the text it is. Only the elements below are made; links must be http(s) or mailto and open in a
// new tab; images are shown as links (a reply must not make the page load remote images).

import markdownit from "../vendor/markdown-it/markdown-it.esm.min.js";
import { h } from "./dom.js";
import { highlight, languageOf } from "./highlight.js";

const md = markdownit({ html: false, linkify: true, breaks: true, typographer: false });

const ELEMENTS = new Set([
  "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "em", "strong", "s", "a",
  "table", "thead", "tbody", "tr", "th", "td",
]);
const SAFE_LINK = /^(https?:|mailto:)/i;

function attr(token, name) {
  const found = token.attrs?.find(([key]) => key === name);
  return found ? found[1] : null;
}

function safeHref(href) {
  return href && SAFE_LINK.test(href.trim()) ? href.trim() : null;
}

// What a token opens: an element description (tag, attrs) or null to keep only its children.
function opened(token) {
  if (!ELEMENTS.has(token.tag)) return null;
  const attrs = {};
  if (token.tag === "a") {
    const href = safeHref(attr(token, "href"));
    if (!href) return null;
    Object.assign(attrs, { href, target: "_blank", rel: "noopener noreferrer nofollow" });
  } else if (token.tag === "ol") {
    const start = Number(attr(token, "start"));
    if (Number.isInteger(start) && start !== 1) attrs.start = String(start);
  } else if (token.tag === "th" || token.tag === "td") {
    const align = /text-align:(left|right|center)/.exec(attr(token, "style") || "");
    if (align) attrs.class = `align-${align[1]}`;
  }
  return { tag: token.tag, attrs, children: [] };
}

function inline(tokens, parent) {
  const stack = [parent];
  const top = () => stack[stack.length - 1];
  for (const token of tokens || []) {
    if (token.nesting === 1) {
      const node = opened(token) || { tag: null, attrs: {}, children: [] };
      top().children.push(node);
      stack.push(node);
    } else if (token.nesting === -1) {
      if (stack.length > 1) stack.pop();
    } else if (token.type === "code_inline") {
      top().children.push({ tag: "code", attrs: {}, children: [token.content] });
    } else if (token.type === "softbreak" || token.type === "hardbreak") {
      top().children.push({ tag: "br", attrs: {}, children: [] });
    } else if (token.type === "image") {
      const src = safeHref(attr(token, "src"));
      const alt = token.content || attr(token, "alt") || "image";
      top().children.push(src
        ? { tag: "a", attrs: { href: src, target: "_blank", rel: "noopener noreferrer nofollow" }, children: [`🖼 ${alt}`] }
        : `🖼 ${alt}`);
    } else {
      // text, text_special, html_inline (plain text with html: false) and anything new: shown as text.
      top().children.push(token.content);
    }
  }
}

// The reply as a tree of {tag, attrs, children} and strings: pure, so it is tested without a browser.
// A node with tag null stands for its children only (an element not allowed, such as a link to javascript:).
export function markdownTree(text) {
  const root = { tag: null, attrs: {}, children: [] };
  const stack = [root];
  const top = () => stack[stack.length - 1];
  for (const token of md.parse(String(text ?? ""), {})) {
    if (token.type === "inline") {
      inline(token.children, top());
    } else if (token.nesting === 1) {
      // Tight lists hide their paragraphs; the children still go into the list item.
      const node = token.hidden ? { tag: null, attrs: {}, children: [] } : opened(token) || { tag: null, attrs: {}, children: [] };
      top().children.push(node);
      stack.push(node);
    } else if (token.nesting === -1) {
      if (stack.length > 1) stack.pop();
    } else if (token.type === "fence" || token.type === "code_block") {
      const language = (token.info || "").trim().split(/\s+/)[0].toLowerCase();
      top().children.push({ tag: "pre", attrs: {}, children: [{ tag: "code", attrs: {}, language, children: [token.content] }] });
    } else if (token.type === "hr") {
      top().children.push({ tag: "hr", attrs: {}, children: [] });
    } else if (token.content) {
      top().children.push(token.content);
    }
  }
  return root;
}

function toNodes(node) {
  if (typeof node === "string") return [node];
  const children = node.children.flatMap(toNodes);
  if (node.tag === null) return children;
  if (node.tag === "code" && node.language !== undefined) {
    const language = languageOf(`reply.${node.language}`);
    const text = node.children.join("");
    return [h("code", { class: language ? `language-${language}` : null }, language ? highlight(text, `reply.${language}`) : text)];
  }
  return [h(node.tag, node.attrs, ...children)];
}

// The reply as DOM nodes, ready to append.
export function renderMarkdown(text) {
  return toNodes(markdownTree(text));
}
