// How the workspace state follows a restore or a hand edit (static/js/workspace/state.js): the files of the
// restored version arrive as file_generated, files it did not have as file_deleted; History is a tab.

import assert from "node:assert/strict";
import { test } from "node:test";

import { initialState, shownTab, update } from "../../static/js/workspace/state.js";

const NOW = "2026-01-01T12:00:00.000Z";

function play(events, state = initialState()) {
  for (const event of events) state = update(state, event, NOW).state;
  return state;
}

const connected = {
  type: "agent_connected", seq: 5,
  state: {
    title: "Todo List", status: "complete", blueprint: { title: "Todo List" }, phases: [], conversation: [],
    preview: null, model: null,
    files: ["index.html", "README.md"].map((path) => ({
      filePath: path, filePurpose: "", fileContents: `<${path}>`, complete: true, generating: false, draft: "",
      phaseIndex: 0,
    })),
  },
};

test("a file the restored version did not have leaves the tree, and the selection with it", () => {
  const state = play([connected, { type: "ui/select_file", path: "README.md" }, { type: "file_deleted", filePath: "README.md" }]);

  assert.deepEqual([...state.files.keys()], ["index.html"]);
  assert.equal(state.selected, null);
});

test("deleting a file the page does not know changes nothing", () => {
  const before = play([connected]);
  const after = update(before, { type: "file_deleted", filePath: "nope.js" }, NOW).state;

  assert.equal(after.files, before.files);
});

test("History is a tab on wide and narrow screens", () => {
  assert.equal(shownTab(play([{ type: "ui/select_tab", tab: "history" }])), "history");
  assert.equal(shownTab(play([{ type: "ui/select_tab", tab: "history" }], initialState({ narrow: true }))), "history");
});
