"""A calculator: keypad and keyboard input, operator precedence without eval(), saved history."""

from __future__ import annotations

from ..spec import AppSpec
from .common import AppKind, fill, js_value, script

_KEYS = (
    ("clear", "AC", "secondary", "Clear"),
    ("back", "&#9003;", "secondary", "Delete last character"),
    ("%", "%", "secondary", "Percent"),
    ("/", "&divide;", "op", "Divide"),
    ("7", "7", "", ""),
    ("8", "8", "", ""),
    ("9", "9", "", ""),
    ("*", "&times;", "op", "Multiply"),
    ("4", "4", "", ""),
    ("5", "5", "", ""),
    ("6", "6", "", ""),
    ("-", "&minus;", "op", "Subtract"),
    ("1", "1", "", ""),
    ("2", "2", "", ""),
    ("3", "3", "", ""),
    ("+", "+", "op", "Add"),
    ("0", "0", "wide", ""),
    (".", ".", "", "Decimal point"),
    ("=", "=", "equals", "Equals"),
)


def body(spec: AppSpec) -> str:
    keys = []
    for key, label, css_class, aria in _KEYS:
        classes = f' class="{css_class}"' if css_class else ""
        aria_label = f' aria-label="{aria}"' if aria else ""
        keys.append(f'        <button type="button" data-key="{key}"{classes}{aria_label}>{label}</button>\n')
    return (
        """    <section class="card calculator" aria-label="Calculator">
      <div class="screen">
        <p id="expression" class="expression" aria-live="polite"></p>
        <output id="display" class="display" aria-live="polite">0</output>
      </div>
      <div class="keys">
"""
        + "".join(keys)
        + """      </div>
    </section>
    <section class="card" aria-labelledby="history-title">
      <div class="history-header">
        <h2 id="history-title">History</h2>
        <button type="button" id="clear-history" class="link">Clear history</button>
      </div>
      <ol id="history" class="history"></ol>
      <p id="history-empty" class="empty">No calculations yet.</p>
    </section>
"""
    )


def css(spec: AppSpec) -> str:
    return """.calculator {
  max-width: 24rem;
  margin-inline: auto;
}

.screen {
  margin-bottom: 1rem;
  padding: 0.75rem 1rem;
  border-radius: 8px;
  background: var(--bg);
  text-align: right;
}

.expression {
  min-height: 1.5rem;
  margin: 0;
  color: var(--muted);
  overflow-wrap: anywhere;
}

.display {
  display: block;
  font-size: clamp(2rem, 10vw, 2.75rem);
  font-weight: 700;
  font-variant-numeric: tabular-nums;
  overflow-wrap: anywhere;
}

.keys {
  display: grid;
  grid-template-columns: repeat(4, 1fr);
  gap: 0.5rem;
}

.keys button {
  min-height: 3.5rem;
  font-size: 1.25rem;
  border-color: var(--border);
  background: var(--surface);
  color: var(--text);
}

.keys button:hover {
  background: var(--border);
}

.keys button.op,
.keys button.equals {
  background: var(--primary);
  color: var(--primary-contrast);
}

.keys button.op:hover,
.keys button.equals:hover {
  background: var(--primary-strong);
}

.keys button.secondary {
  background: var(--bg);
}

.keys .wide {
  grid-column: span 2;
}

.history-header {
  display: flex;
  align-items: center;
  justify-content: space-between;
}

.history {
  margin: 0;
  padding-left: 1.5rem;
}

.history button {
  min-height: 0;
  padding: 0.2rem 0.4rem;
  border: 0;
  background: transparent;
  color: var(--text);
  font-weight: 400;
  font-variant-numeric: tabular-nums;
  text-align: left;
}

.history button:hover {
  background: var(--border);
}
"""


_JS = """const HISTORY_KEY = %%KEY%%;
const STORAGE_KEYS = [HISTORY_KEY];
const HISTORY_LENGTH = 10;
const OPERATORS = ['+', '-', '*', '/'];
const PRECEDENCE = { '+': 1, '-': 1, '*': 2, '/': 2 };
const PRETTY = { '+': '+', '*': '\\u00d7', '/': '\\u00f7', '-': '\\u2212' };

const display = document.getElementById('display');
const expressionLine = document.getElementById('expression');
const historyList = document.getElementById('history');
const historyEmpty = document.getElementById('history-empty');
const clearHistoryButton = document.getElementById('clear-history');

let input = '';
let lastExpression = '';
let justCalculated = false;
let history = loadHistory();

function loadHistory() {
  const data = readJson(HISTORY_KEY, []);
  if (!Array.isArray(data)) return [];
  return data
    .filter((entry) => entry && typeof entry.expression === 'string' && typeof entry.result === 'string')
    .slice(0, HISTORY_LENGTH);
}

function pretty(text) {
  // Binary operators only: the minus of "-3" or the sign in "1e-7" stays as typed.
  return text.replace(/[*\\/]|(?<=[\\d.])[-+]/g, (op) => ' ' + PRETTY[op] + ' ');
}

function tokenize(text) {
  const tokens = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    const previous = tokens[tokens.length - 1];
    const unaryMinus = char === '-' && (previous === undefined || typeof previous === 'string');
    if (OPERATORS.includes(char) && !unaryMinus) {
      tokens.push(char);
      index += 1;
      continue;
    }
    const match = /^-?(\\d+\\.?\\d*|\\.\\d+)(e[+-]?\\d+)?/i.exec(text.slice(index));
    if (!match) throw new Error('Invalid expression');
    tokens.push(Number(match[0]));
    index += match[0].length;
  }
  return tokens;
}

function evaluate(text) {
  const values = [];
  const operators = [];
  const apply = () => {
    const operator = operators.pop();
    const right = values.pop();
    const left = values.pop();
    if (left === undefined || right === undefined) throw new Error('Incomplete expression');
    if (operator === '+') values.push(left + right);
    else if (operator === '-') values.push(left - right);
    else if (operator === '*') values.push(left * right);
    else values.push(left / right);
  };
  for (const token of tokenize(text)) {
    if (typeof token === 'number') {
      values.push(token);
      continue;
    }
    while (operators.length && PRECEDENCE[operators[operators.length - 1]] >= PRECEDENCE[token]) apply();
    operators.push(token);
  }
  while (operators.length) apply();
  if (values.length !== 1 || !Number.isFinite(values[0])) throw new Error('Cannot calculate that');
  // Twelve significant digits hide binary rounding noise such as 0.1 + 0.2 = 0.30000000000000004.
  return Number(values[0].toPrecision(12));
}

function currentNumber() {
  const match = /(?:^-|(?<=[+\\-*\\/])-)?[\\d.e]*$/.exec(input);
  return match ? match[0] : '';
}

function press(key) {
  // After "=", a digit starts a new number while an operator carries on with the result.
  if (justCalculated && (/^\\d$/.test(key) || key === '.')) input = '';
  justCalculated = false;
  if (/^\\d$/.test(key)) {
    input = input === '0' ? key : input + key;
  } else if (key === '.') {
    if (!currentNumber().includes('.')) input += /\\d$/.test(input) ? '.' : '0.';
  } else if (OPERATORS.includes(key)) {
    const last = input[input.length - 1];
    if (input === '' || input === '-') {
      input = key === '-' ? '-' : input;
    } else if (OPERATORS.includes(last)) {
      // "5*-2" multiplies by a negative number; any other operator replaces the previous one.
      input = key === '-' && last !== '-' ? input + key : input.replace(/[+\\-*\\/]+$/, '') + key;
    } else {
      input += key;
    }
  } else if (key === '%') {
    const number = currentNumber();
    if (number && number !== '-') {
      const percent = Number((Number(number) / 100).toPrecision(12));
      input = input.slice(0, input.length - number.length) + String(percent);
    }
  } else if (key === 'back') {
    input = input.slice(0, -1);
  } else if (key === 'clear') {
    input = '';
    lastExpression = '';
  } else if (key === '=') {
    calculate();
    return;
  }
  render();
}

function calculate() {
  if (!input) return;
  const expression = input;
  try {
    const result = String(evaluate(expression));
    lastExpression = pretty(expression) + ' =';
    input = result;
    justCalculated = true;
    history.unshift({ expression: pretty(expression), result });
    history = history.slice(0, HISTORY_LENGTH);
    writeJson(HISTORY_KEY, history);
  } catch (error) {
    lastExpression = pretty(expression);
    input = '';
    render();
    display.textContent = error.message;
    return;
  }
  render();
}

function renderHistoryEntry(entry) {
  const item = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = entry.expression + ' = ' + entry.result;
  button.setAttribute('aria-label', 'Use result ' + entry.result);
  button.addEventListener('click', () => {
    input = entry.result;
    lastExpression = '';
    render();
  });
  item.append(button);
  return item;
}

function render() {
  display.textContent = input ? pretty(input) : '0';
  expressionLine.textContent = lastExpression;
  historyList.replaceChildren(...history.map(renderHistoryEntry));
  historyEmpty.hidden = history.length > 0;
  clearHistoryButton.disabled = history.length === 0;
}

for (const button of document.querySelectorAll('[data-key]')) {
  button.addEventListener('click', () => press(button.dataset.key));
}

const KEYBOARD = {
  Enter: '=',
  Backspace: 'back',
  Escape: 'clear',
  Delete: 'clear',
  x: '*',
  X: '*',
};

document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const key = KEYBOARD[event.key] || event.key;
  if (/^[\\d.%+\\-*\\/=]$/.test(key) || key === 'back' || key === 'clear') {
    event.preventDefault();
    press(key);
  }
});

clearHistoryButton.addEventListener('click', () => {
  history = [];
  writeJson(HISTORY_KEY, history);
  render();
});

function resetState() {
  input = '';
  lastExpression = '';
  history = [];
  removeKeys(STORAGE_KEYS);
  render();
}

function reloadState() {
  history = loadHistory();
  render();
}

render();
"""


def js(spec: AppSpec) -> str:
    return script(spec, "a calculator", fill(_JS, KEY=js_value(spec.storage_key("history"))))


KIND = AppKind(
    name="calculator",
    keywords=(r"calculators?", r"calc", r"arithmetic", r"calculate"),
    title="Calculator",
    palette=("#0f766e", "#f0fdfa", "#f97316"),
    summary="A calculator: add, subtract, multiply, divide and take percentages with the keypad or "
    "the keyboard, with the right operator precedence and a history of results saved in this browser.",
    views=(
        ("Calculator", "The display and a keypad of digits and operators"),
        ("History", "The last ten calculations; pick one to reuse its result"),
    ),
    user_flow=(
        "A centred calculator card with a four-column keypad, the history card below",
        "Large keys, operators in the primary colour, a clear display with the expression above the result",
        "Tap or type a calculation, press = or Enter, reuse a result from the history",
    ),
    features=(
        "Addition, subtraction, multiplication, division and percent, with operator precedence",
        "Keyboard input: digits, + - * /, Enter for =, Backspace, Escape to clear",
        "No eval(): expressions are parsed safely",
        "The last ten results are saved in localStorage; click one to reuse it",
    ),
    body=body,
    css=css,
    js=js,
)
