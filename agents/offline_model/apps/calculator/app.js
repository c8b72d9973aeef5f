const HISTORY_KEY = APP_CONFIG.storageKeys.history;
const STORAGE_KEYS = [HISTORY_KEY];
const HISTORY_LENGTH = 10;
const OPERATORS = ['+', '-', '*', '/'];
const PRECEDENCE = { '+': 1, '-': 1, '*': 2, '/': 2 };
const PRETTY = { '+': '+', '*': '\u00d7', '/': '\u00f7', '-': '\u2212' };

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
  return text.replace(/[*\/]|(?<=[\d.])[-+]/g, (op) => ' ' + PRETTY[op] + ' ');
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
    const match = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(text.slice(index));
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
  const match = /(?:^-|(?<=[+\-*\/])-)?[\d.e]*$/.exec(input);
  return match ? match[0] : '';
}

function press(key) {
  // After "=", a digit starts a new number while an operator carries on with the result.
  if (justCalculated && (/^\d$/.test(key) || key === '.')) input = '';
  justCalculated = false;
  if (/^\d$/.test(key)) {
    input = input === '0' ? key : input + key;
  } else if (key === '.') {
    if (!currentNumber().includes('.')) input += /\d$/.test(input) ? '.' : '0.';
  } else if (OPERATORS.includes(key)) {
    const last = input[input.length - 1];
    if (input === '' || input === '-') {
      input = key === '-' ? '-' : input;
    } else if (OPERATORS.includes(last)) {
      // "5*-2" multiplies by a negative number; any other operator replaces the previous one.
      input = key === '-' && last !== '-' ? input + key : input.replace(/[+\-*\/]+$/, '') + key;
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
  if (/^[\d.%+\-*\/=]$/.test(key) || key === 'back' || key === 'clear') {
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
