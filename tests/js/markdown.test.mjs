// Chat replies as Markdown (static/js/markdown.js): formatting kept, markup never.

import assert from "node:assert/strict";
import { test } from "node:test";

import { markdownTree } from "../../static/js/markdown.js";

// Every element made, as "tag" or "tag[attr=value,...]", depth first.
function elements(node, out = []) {
  if (typeof node === "string") return out;
  if (node.tag) {
    const attrs = Object.entries(node.attrs).map(([k, v]) => `${k}=${v}`).join(",");
    out.push(attrs ? `${node.tag}[${attrs}]` : node.tag);
  }
  for (const child of node.children) elements(child, out);
  return out;
}

function text(node) {
  return typeof node === "string" ? node : node.children.map(text).join("");
}

test("formatting becomes elements", () => {
  const tree = markdownTree("**Done.** I added:\n\n- a `Reset` button\n- *dark* mode\n\n```js\nconst a = 1;\n```");
  assert.deepEqual(elements(tree), ["p", "strong", "ul", "li", "code", "li", "em", "pre", "code"]);
  assert.match(text(tree), /const a = 1;/);
});

test("raw HTML in a reply is text, not markup", () => {
  const hostile = '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\nhi <b onclick="x()">there</b>';
  const tree = markdownTree(hostile);
  assert.deepEqual(elements(tree), ["p", "p", "p"]);
  assert.match(text(tree), /<script>alert\(1\)<\/script>/);
  assert.match(text(tree), /<img src=x onerror="alert\(2\)">/);
});

test("only http(s) and mailto links are links, and they open in a new tab", () => {
  const tree = markdownTree("[docs](https://example.com/a) [bad](javascript:alert(1)) [data](data:text/html,x) <mailto:a@b.c>");
  assert.deepEqual(elements(tree), [
    "p",
    "a[href=https://example.com/a,target=_blank,rel=noopener noreferrer nofollow]",
    "a[href=mailto:a@b.c,target=_blank,rel=noopener noreferrer nofollow]",
  ]);
  assert.match(text(tree), /bad/);
});

test("images are links, so a reply cannot make the page load anything", () => {
  const tree = markdownTree("![chart](https://evil.example/pixel.png) ![x](javascript:alert(1))");
  assert.deepEqual(elements(tree), ["p", "a[href=https://evil.example/pixel.png,target=_blank,rel=noopener noreferrer nofollow]"]);
  assert.ok(!elements(tree).some((e) => e.startsWith("img")));
});

test("tables keep their alignment as a class, never as a style", () => {
  const tree = markdownTree("| a | b |\n|:-|-:|\n| 1 | 2 |");
  assert.ok(elements(tree).includes("th[class=align-left]"));
  assert.ok(elements(tree).includes("td[class=align-right]"));
  assert.ok(!elements(tree).some((e) => e.includes("style")));
});

test("a reply still being streamed (an open fence, half a link) renders", () => {
  assert.deepEqual(elements(markdownTree("Here:\n\n```html\n<div")), ["p", "pre", "code"]);
  assert.match(text(markdownTree("see [the docs](https://exa")), /see \[the docs\]/);
});
