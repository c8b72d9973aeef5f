// The browser self-check as a step of the plan (static/js/workspace/state.js): its frames, its fix rounds,
// the snapshot after a reload.

import assert from "node:assert/strict";
import { test } from "node:test";

import { checkStep, initialState, update } from "../../static/js/workspace/state.js";

const NOW = "2026-01-01T12:00:00.000Z";

function play(events, state = initialState()) {
  for (const event of events) state = update(state, event, NOW).state;
  return state;
}

const PROBLEM = {
  code: "RUNTIME_ERROR", file: "app.js", line: 3,
  message: "app.js, line 3: Uncaught TypeError: Cannot set properties of null (setting 'textContent') (while the page loaded)",
};
const started = (round) => ({
  type: "self_check_started", phaseIndex: 0, round, final: false, checkId: `c${round}`, message: "App opening in a browser",
});
const completed = (round, status, problems = []) => ({
  type: "self_check_completed", phaseIndex: 0, round, final: false, checkId: `c${round}`, status, problems,
  screenshotUrl: `/api/agent/a/self-checks/c${round}/screenshot`, note: "", seconds: 2.5,
  message: status === "passed" ? "Browser check passed: no errors" : "Browser check found 1 problem",
});
const fixing = { type: "fix_round_started", phaseIndex: 0, round: 1, source: "browser", files: ["app.js"],
  problems: [PROBLEM], message: "Fixing 1 problem found by the browser check (round 1 of 2)" };

test("a check that finds an error shows it with the screenshot, then the fix round, then the clean check", () => {
  let state = play([started(0)]);
  assert.deepEqual([checkStep(state, 0).status, checkStep(state, 0).label], ["running", "Checking…"]);

  state = play([completed(0, "problems", [PROBLEM])], state);
  const found = checkStep(state, 0);
  assert.equal(found.label, "1 problem found");
  assert.deepEqual(found.problems, [PROBLEM]);
  assert.equal(found.screenshotUrl, "/api/agent/a/self-checks/c0/screenshot");
  assert.equal(state.activity, "Browser check found 1 problem");

  state = play([fixing], state);
  assert.deepEqual([checkStep(state, 0).status, checkStep(state, 0).label], ["fixing", "Fixing 1 problem (round 1)…"]);

  state = play([started(1)], state);
  assert.equal(checkStep(state, 0).label, "Checking the fix (round 1)…");
  state = play([completed(1, "passed")], state);
  assert.deepEqual([checkStep(state, 0).status, checkStep(state, 0).label], ["passed", "No errors after 1 fix round"]);
  assert.deepEqual(checkStep(state, 0).problems, []);
  assert.equal(checkStep(state, "final"), null);
});

test("a skipped check shows its note, and a build's fix round does not touch the browser check", () => {
  const skipped = { ...completed(0, "skipped"), screenshotUrl: null,
    note: "Chromium was not found at /x, so the app was not opened in a browser. The static checks stand." };
  const state = play([started(0), skipped, { ...fixing, source: "build" }]);
  const step = checkStep(state, 0);
  assert.deepEqual([step.status, step.label, step.screenshotUrl], ["skipped", "Skipped", null]);
  assert.match(step.note, /Chromium was not found/);
});

test("after a reload the snapshot's checks are the plan's steps, the final one apart", () => {
  const checks = [
    { ...completed(2, "problems", [PROBLEM]), type: undefined },
    { ...completed(0, "passed"), type: undefined, final: true, phaseIndex: 1 },
  ];
  const state = play([{
    type: "agent_connected", seq: 9,
    state: { title: "Todo", status: "complete", phases: [], files: [], conversation: [], selfChecks: checks,
      problems: [PROBLEM] },
  }]);
  assert.equal(checkStep(state, 0).label, "1 problem found");
  assert.equal(checkStep(state, "final").name, "Final browser check");
  assert.equal(checkStep(state, 1), null);
});
