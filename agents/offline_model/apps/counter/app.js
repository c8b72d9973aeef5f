const COUNTER_KEY = APP_CONFIG.storageKeys.counter;
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
  item.textContent = sign + entry.delta + ' \u2192 ' + entry.total + ' (' + time + ')';
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
