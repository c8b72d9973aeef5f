"""An expense tracker: add expenses by category and date, totals and a breakdown; saved in localStorage."""

from __future__ import annotations

from ..spec import AppSpec
from .common import AppKind, esc, fill, js_value, script

CATEGORIES = ("Food", "Transport", "Housing", "Bills", "Shopping", "Fun", "Health", "Other")


def body(spec: AppSpec) -> str:
    options = "".join(f"          <option>{esc(c)}</option>\n" for c in CATEGORIES)
    filter_options = "".join(f"          <option>{esc(c)}</option>\n" for c in CATEGORIES)
    return f"""    <section class="card" aria-labelledby="add-title">
      <h2 id="add-title">Add an expense</h2>
      <form id="expense-form" class="expense-form" autocomplete="off" novalidate>
        <label for="expense-description">Description</label>
        <input id="expense-description" name="description" type="text" maxlength="120" placeholder="Coffee">
        <label for="expense-amount">Amount ({esc(spec.currency)})</label>
        <input id="expense-amount" name="amount" type="number" min="0.01" step="0.01" inputmode="decimal"
          placeholder="3.50">
        <label for="expense-category">Category</label>
        <select id="expense-category" name="category">
{options}        </select>
        <label for="expense-date">Date</label>
        <input id="expense-date" name="date" type="date">
        <button type="submit">Add expense</button>
      </form>
      <p id="expense-error" class="error" role="alert"></p>
    </section>
    <section class="card summary" aria-labelledby="summary-title">
      <h2 id="summary-title">Summary</h2>
      <div class="totals">
        <p>Total <strong id="expense-total">0</strong></p>
        <p>This month <strong id="expense-month">0</strong></p>
      </div>
      <ul id="category-totals" class="category-totals"></ul>
    </section>
    <section class="card" aria-labelledby="list-title">
      <div class="list-header">
        <h2 id="list-title">Expenses</h2>
        <label class="visually-hidden" for="expense-filter">Show category</label>
        <select id="expense-filter">
          <option value="all">All categories</option>
{filter_options}        </select>
      </div>
      <ul id="expense-list" class="list expense-list"></ul>
      <p id="expense-empty" class="empty">No expenses yet.</p>
    </section>
"""


def css(spec: AppSpec) -> str:
    return """.expense-form {
  display: grid;
  gap: 0.5rem;
}

.expense-form button {
  margin-top: 0.5rem;
}

.error {
  min-height: 1.5rem;
  margin: 0.5rem 0 0;
  color: var(--danger);
  font-weight: 600;
}

.totals {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr));
  gap: 0.75rem;
}

.totals p {
  margin: 0;
  padding: 0.75rem;
  border-radius: 8px;
  background: var(--bg);
  color: var(--muted);
}

.totals strong {
  display: block;
  color: var(--text);
  font-size: 1.5rem;
  font-variant-numeric: tabular-nums;
}

.category-totals {
  display: grid;
  gap: 0.5rem;
  margin: 1rem 0 0;
  padding: 0;
  list-style: none;
}

.category-totals li {
  display: grid;
  grid-template-columns: 6rem 1fr auto;
  align-items: center;
  gap: 0.75rem;
  font-variant-numeric: tabular-nums;
}

.category-totals progress {
  width: 100%;
  height: 0.6rem;
  accent-color: var(--primary);
}

.list-header {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: 0.5rem;
}

.list-header select {
  width: auto;
}

.expense-list .details {
  flex: 1;
  min-width: 0;
}

.expense-list .details span {
  display: block;
  overflow-wrap: anywhere;
}

.expense-list .meta {
  color: var(--muted);
  font-size: 0.85rem;
}

.expense-list .amount {
  font-weight: 700;
  font-variant-numeric: tabular-nums;
}
"""


_JS = """const EXPENSES_KEY = %%KEY%%;
const STORAGE_KEYS = [EXPENSES_KEY];
const CURRENCY = %%CURRENCY%%;
const CATEGORIES = %%CATEGORIES%%;

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
      date: /^\\d{4}-\\d{2}-\\d{2}$/.test(item.date) ? item.date : today(),
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
  meta.textContent = item.category + ' \\u00b7 ' + new Date(item.date + 'T00:00:00').toLocaleDateString();
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
"""


def js(spec: AppSpec) -> str:
    return script(
        spec,
        "an expense tracker",
        fill(
            _JS,
            KEY=js_value(spec.storage_key("expenses")),
            CURRENCY=js_value(spec.currency),
            CATEGORIES=js_value(list(CATEGORIES)),
        ),
    )


KIND = AppKind(
    name="expense",
    keywords=(r"expenses?", r"budget(ing|s)?", r"spending", r"finances?", r"money"),
    title="Expense Tracker",
    palette=("#047857", "#f0fdf4", "#2563eb"),
    summary="An expense tracker: add expenses with a category and a date, see the total, this month's "
    "spending and a breakdown by category. Expenses stay saved in this browser.",
    views=(
        ("Add expense", "A form for the description, amount, category and date of an expense"),
        ("Summary", "Total and monthly spending, and a bar per category"),
        ("Expenses", "All expenses, newest first, filterable by category, each with a delete button"),
    ),
    user_flow=(
        "A single column: the add form, the summary, then the list of expenses",
        "Calm green accents, tabular numbers, bars for the share of each category",
        "Add an expense, watch the totals update, filter by category, delete a mistake",
    ),
    features=(
        "Add expenses with a description, amount, category and date",
        "Totals: all time, this month, and per category",
        "Filter the list by category; delete an expense",
        "Amounts are kept in cents to avoid rounding errors; everything is saved in localStorage",
    ),
    body=body,
    css=css,
    js=js,
)
