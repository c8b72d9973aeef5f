const EXPENSES_KEY = APP_CONFIG.storageKeys.expenses;
const STORAGE_KEYS = [EXPENSES_KEY];
const CURRENCY = APP_CONFIG.currency;
const CATEGORIES = ['Food', 'Transport', 'Housing', 'Bills', 'Shopping', 'Fun', 'Health', 'Other'];

const form = document.getElementById('expense-form');
const descriptionInput = document.getElementById('expense-description');
const amountInput = document.getElementById('expense-amount');
const categorySelect = document.getElementById('expense-category');
const dateInput = document.getElementById('expense-date');
const errorLine = document.getElementById('expense-error');
const totalOutput = document.getElementById('expense-total');
const monthOutput = document.getElementById('expense-month');
const categoryTotals = document.getElementById('category-totals');
const filterSelect = document.getElementById('expense-filter');
const list = document.getElementById('expense-list');
const emptyState = document.getElementById('expense-empty');

const money = new Intl.NumberFormat(undefined, { style: 'currency', currency: CURRENCY });

let expenses = loadExpenses();

function today() {
  const date = new Date();
  const month = String(date.getMonth() + 1).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, '0');
  return date.getFullYear() + '-' + month + '-' + day;
}

function loadExpenses() {
  const data = readJson(EXPENSES_KEY, []);
  if (!Array.isArray(data)) return [];
  return data
    .filter((item) => item && typeof item.description === 'string' && Number.isInteger(item.cents))
    .map((item) => ({
      id: String(item.id || newId()),
      description: item.description,
      cents: item.cents,
      category: CATEGORIES.includes(item.category) ? item.category : 'Other',
      date: /^\d{4}-\d{2}-\d{2}$/.test(item.date) ? item.date : today(),
    }));
}

function saveExpenses() {
  writeJson(EXPENSES_KEY, expenses);
}

function formatCents(cents) {
  return money.format(cents / 100);
}

function deleteExpense(id) {
  expenses = expenses.filter((item) => item.id !== id);
  saveExpenses();
  render();
}

function renderExpense(item) {
  const row = document.createElement('li');
  row.dataset.id = item.id;
  const details = document.createElement('div');
  details.className = 'details';
  const name = document.createElement('span');
  name.textContent = item.description;
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = item.category + ' \u00b7 ' + new Date(item.date + 'T00:00:00').toLocaleDateString();
  details.append(name, meta);
  const amount = document.createElement('span');
  amount.className = 'amount';
  amount.textContent = formatCents(item.cents);
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'delete';
  remove.textContent = 'Delete';
  remove.setAttribute('aria-label', 'Delete expense "' + item.description + '"');
  remove.addEventListener('click', () => deleteExpense(item.id));
  row.append(details, amount, remove);
  return row;
}

function renderSummary() {
  const total = expenses.reduce((sum, item) => sum + item.cents, 0);
  const month = today().slice(0, 7);
  const monthTotal = expenses
    .filter((item) => item.date.startsWith(month))
    .reduce((sum, item) => sum + item.cents, 0);
  totalOutput.textContent = formatCents(total);
  monthOutput.textContent = formatCents(monthTotal);

  const byCategory = CATEGORIES.map((category) => ({
    category,
    cents: expenses.filter((item) => item.category === category).reduce((sum, item) => sum + item.cents, 0),
  })).filter((entry) => entry.cents > 0);
  categoryTotals.replaceChildren(
    ...byCategory.map((entry) => {
      const row = document.createElement('li');
      const label = document.createElement('span');
      label.textContent = entry.category;
      const bar = document.createElement('progress');
      bar.max = total;
      bar.value = entry.cents;
      bar.setAttribute('aria-label', entry.category + ' share of spending');
      const amount = document.createElement('span');
      amount.textContent = formatCents(entry.cents);
      row.append(label, bar, amount);
      return row;
    })
  );
}

function render() {
  const filter = filterSelect.value;
  const visible = expenses
    .filter((item) => filter === 'all' || item.category === filter)
    .sort((a, b) => b.date.localeCompare(a.date));
  list.replaceChildren(...visible.map(renderExpense));
  emptyState.hidden = visible.length > 0;
  emptyState.textContent = expenses.length === 0 ? 'No expenses yet.' : 'No expenses in this category.';
  renderSummary();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const description = descriptionInput.value.trim();
  const cents = Math.round(Number(amountInput.value) * 100);
  if (!description) {
    errorLine.textContent = 'Describe the expense.';
    descriptionInput.focus();
    return;
  }
  if (!Number.isFinite(cents) || cents <= 0) {
    errorLine.textContent = 'Enter an amount greater than zero.';
    amountInput.focus();
    return;
  }
  errorLine.textContent = '';
  expenses.push({
    id: newId(),
    description,
    cents,
    category: categorySelect.value,
    date: dateInput.value || today(),
  });
  saveExpenses();
  descriptionInput.value = '';
  amountInput.value = '';
  render();
  descriptionInput.focus();
});

filterSelect.addEventListener('change', render);

function resetState() {
  expenses = [];
  removeKeys(STORAGE_KEYS);
  filterSelect.value = 'all';
  render();
}

function reloadState() {
  expenses = loadExpenses();
  render();
}

dateInput.value = today();
render();
