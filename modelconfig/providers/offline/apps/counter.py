"""A counter: plus and minus by a chosen step, keyboard shortcuts, recent changes; saved in localStorage."""

from __future__ import annotations

from ..spec import AppSpec
from .common import AppKind, fill, js_value, script


def body(spec: AppSpec) -> str:
    return """    <section class="card counter" aria-labelledby="count-label">
      <p id="count-label" class="muted">Current count</p>
      <output id="count" class="count" aria-live="polite">0</output>
      <div class="row counter-buttons">
        <button type="button" id="decrement" aria-label="Decrease">&minus;</button>
        <button type="button" id="increment" aria-label="Increase">+</button>
      </div>
      <div class="row counter-options">
        <label for="step">Step</label>
        <select id="step">
          <option value="1">1</option>
          <option value="5">5</option>
          <option value="10">10</option>
        </select>
        <button type="button" id="reset-button" class="secondary">Reset</button>
      </div>
      <p class="muted hint">Tip: press + or &uarr; to count up, &minus; or &darr; to count down.</p>
    </section>
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">Recent changes</h2>
      <ol id="history" class="history"></ol>
      <p id="history-empty" class="empty">Nothing counted yet.</p>
    </section>
"""


def css(spec: AppSpec) -> str:
    return """.counter {
  text-align: center;
}

.count {
  display: block;
  margin: 0.5rem 0 1rem;
  font-size: clamp(3.5rem, 18vw, 6rem);
  font-weight: 700;
  font-variant-numeric: tabular-nums;
  line-height: 1;
  color: var(--primary-strong);
}

.counter-buttons button {
  min-width: 5rem;
  min-height: 3.5rem;
  font-size: 1.75rem;
}

.counter-buttons,
.counter-options {
  justify-content: center;
}

.counter-options {
  margin-top: 1rem;
}

.counter-options select {
  width: auto;
  flex: none;
}

.hint {
  margin: 1rem 0 0;
  font-size: 0.9rem;
}

.history {
  margin: 0;
  padding-left: 1.5rem;
}

.history li {
  padding: 0.2rem 0;
  font-variant-numeric: tabular-nums;
}
"""


_JS = """const COUNTER_KEY = %%KEY%%;
const STORAGE_KEYS = [COUNTER_KEY];
const HISTORY_LENGTH = 10;

const countOutput = document.getElementById('count');
const incrementButton = document.getElementById('increment');
const decrementButton = document.getElementById('decrement');
const stepSelect = document.getElementById('step');
const resetButton = document.getElementById('reset-button');
const historyList = document.getElementById('history');
const historyEmpty = document.getElementById('history-empty');

let state = loadState();

function loadState() {
  const data = readJson(COUNTER_KEY, {});
  const count = Number(data && data.count);
  const step = Number(data && data.step);
  const history = data && Array.isArray(data.history) ? data.history : [];
  return {
    count: Number.isFinite(count) ? count : 0,
    step: [1, 5, 10].includes(step) ? step : 1,
    history: history.filter((entry) => entry && Number.isFinite(entry.delta)).slice(0, HISTORY_LENGTH),
  };
}

function saveState() {
  writeJson(COUNTER_KEY, state);
}

function change(delta) {
  state.count += delta;
  state.history.unshift({ delta, total: state.count, at: Date.now() });
  state.history = state.history.slice(0, HISTORY_LENGTH);
  saveState();
  render();
}

function renderHistoryEntry(entry) {
  const item = document.createElement('li');
  const sign = entry.delta > 0 ? '+' : '';
  const time = new Date(entry.at).toLocaleTimeString();
  item.textContent = sign + entry.delta + ' \\u2192 ' + entry.total + ' (' + time + ')';
  return item;
}

function render() {
  countOutput.textContent = String(state.count);
  stepSelect.value = String(state.step);
  historyList.replaceChildren(...state.history.map(renderHistoryEntry));
  historyEmpty.hidden = state.history.length > 0;
}

incrementButton.addEventListener('click', () => change(state.step));
decrementButton.addEventListener('click', () => change(-state.step));

stepSelect.addEventListener('change', () => {
  state.step = Number(stepSelect.value) || 1;
  saveState();
});

document.addEventListener('keydown', (event) => {
  const target = event.target;
  if (target instanceof HTMLElement && target.matches('input, select, textarea')) return;
  if (event.key === '+' || event.key === 'ArrowUp') {
    event.preventDefault();
    change(state.step);
  } else if (event.key === '-' || event.key === 'ArrowDown') {
    event.preventDefault();
    change(-state.step);
  }
});

function resetState() {
  state = { count: 0, step: state.step, history: [] };
  saveState();
  render();
}

function reloadState() {
  state = loadState();
  render();
}

resetButton.addEventListener('click', resetState);

render();
"""


def js(spec: AppSpec) -> str:
    return script(spec, "a counter", fill(_JS, KEY=js_value(spec.storage_key("counter"))))


KIND = AppKind(
    name="counter",
    keywords=(r"counters?", r"tally", r"tallies", r"clickers?", r"count(ing)?", r"increment"),
    title="Counter",
    palette=("#7c3aed", "#faf5ff", "#db2777"),
    summary="A counter: count up and down by a step of 1, 5 or 10, with keyboard shortcuts, a reset, "
    "and the recent changes. The count stays saved in this browser.",
    views=(
        ("Counter", "The big current count with plus and minus buttons, the step and a reset button"),
        ("Recent changes", "The last ten changes to the count"),
    ),
    user_flow=(
        "A centred card with the count and its buttons, and the list of recent changes below",
        "A large, bold number; big touch-friendly buttons in the primary colour",
        "Press plus or minus (or the arrow keys) to count, choose a step, reset to zero",
    ),
    features=(
        "Count up and down by a step of 1, 5 or 10",
        "Keyboard shortcuts: + or Up to count up, - or Down to count down",
        "Reset to zero; the last ten changes are listed",
        "The count is saved in localStorage and survives a reload",
    ),
    body=body,
    css=css,
    js=js,
)
