"""A todo list: add on Enter, tick off, delete, filter, clear completed; saved in localStorage."""

from __future__ import annotations

from ..spec import AppSpec
from .common import AppKind, fill, js_value, script


def body(spec: AppSpec) -> str:
    return """    <section class="card" aria-labelledby="tasks-title">
      <h2 id="tasks-title" class="visually-hidden">Tasks</h2>
      <form id="todo-form" class="row" autocomplete="off">
        <label class="visually-hidden" for="new-todo">New task</label>
        <input id="new-todo" name="title" type="text" placeholder="What needs to be done?" maxlength="200">
        <button type="submit">Add</button>
      </form>
      <div class="filters" role="group" aria-label="Show tasks">
        <button type="button" data-filter="all" aria-pressed="true">All</button>
        <button type="button" data-filter="active" aria-pressed="false">Active</button>
        <button type="button" data-filter="done" aria-pressed="false">Done</button>
      </div>
      <ul id="todo-list" class="list todo-list"></ul>
      <p id="todo-empty" class="empty">No tasks yet. Add one above.</p>
      <div class="todo-footer">
        <p id="todo-count" class="status" aria-live="polite">0 tasks left</p>
        <button type="button" id="clear-done" class="link">Clear completed</button>
      </div>
    </section>
"""


def css(spec: AppSpec) -> str:
    return """.filters {
  display: flex;
  flex-wrap: wrap;
  gap: 0.5rem;
  margin-top: 1rem;
}

.filters button {
  min-height: 2.25rem;
  padding: 0.3rem 0.9rem;
  border-color: var(--border);
  background: transparent;
  color: var(--text);
}

.filters button[aria-pressed="true"] {
  border-color: var(--primary);
  background: var(--primary);
  color: var(--primary-contrast);
}

.todo-list label {
  flex: 1;
  font-weight: 400;
  overflow-wrap: anywhere;
  cursor: pointer;
}

.todo-list .done label {
  color: var(--muted);
  text-decoration: line-through;
}

.todo-footer {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: 0.5rem;
  margin-top: 0.75rem;
}

.todo-footer p {
  margin: 0;
}
"""


_JS = """const TODOS_KEY = %%KEY%%;
const STORAGE_KEYS = [TODOS_KEY];

const form = document.getElementById('todo-form');
const input = document.getElementById('new-todo');
const list = document.getElementById('todo-list');
const emptyState = document.getElementById('todo-empty');
const countLabel = document.getElementById('todo-count');
const clearDoneButton = document.getElementById('clear-done');
const filterButtons = Array.from(document.querySelectorAll('[data-filter]'));

let todos = loadTodos();
let filter = 'all';

function loadTodos() {
  const data = readJson(TODOS_KEY, []);
  if (!Array.isArray(data)) return [];
  return data
    .filter((todo) => todo && typeof todo.title === 'string')
    .map((todo) => ({ id: String(todo.id || newId()), title: todo.title, done: Boolean(todo.done) }));
}

function saveTodos() {
  writeJson(TODOS_KEY, todos);
}

function addTodo(title) {
  todos.push({ id: newId(), title, done: false });
  saveTodos();
  render();
}

function toggleTodo(id) {
  const todo = todos.find((item) => item.id === id);
  if (!todo) return;
  todo.done = !todo.done;
  saveTodos();
  render();
}

function deleteTodo(id) {
  todos = todos.filter((item) => item.id !== id);
  saveTodos();
  render();
  input.focus();
}

function visibleTodos() {
  if (filter === 'active') return todos.filter((todo) => !todo.done);
  if (filter === 'done') return todos.filter((todo) => todo.done);
  return todos;
}

function renderTodo(todo) {
  const item = document.createElement('li');
  item.className = todo.done ? 'todo done' : 'todo';
  item.dataset.id = todo.id;

  const checkbox = document.createElement('input');
  checkbox.type = 'checkbox';
  checkbox.id = 'todo-' + todo.id;
  checkbox.checked = todo.done;
  checkbox.addEventListener('change', () => toggleTodo(todo.id));

  const label = document.createElement('label');
  label.htmlFor = checkbox.id;
  label.textContent = todo.title;

  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'delete';
  remove.textContent = 'Delete';
  remove.setAttribute('aria-label', 'Delete "' + todo.title + '"');
  remove.addEventListener('click', () => deleteTodo(todo.id));

  item.append(checkbox, label, remove);
  return item;
}

function render() {
  const visible = visibleTodos();
  list.replaceChildren(...visible.map(renderTodo));
  emptyState.hidden = visible.length > 0;
  emptyState.textContent = todos.length ? 'No tasks match this filter.' : 'No tasks yet. Add one above.';
  const left = todos.filter((todo) => !todo.done).length;
  countLabel.textContent = left === 1 ? '1 task left' : left + ' tasks left';
  clearDoneButton.disabled = !todos.some((todo) => todo.done);
  for (const button of filterButtons) {
    button.setAttribute('aria-pressed', String(button.dataset.filter === filter));
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const title = input.value.trim();
  if (title) addTodo(title);
  input.value = '';
  input.focus();
});

clearDoneButton.addEventListener('click', () => {
  todos = todos.filter((todo) => !todo.done);
  saveTodos();
  render();
});

for (const button of filterButtons) {
  button.addEventListener('click', () => {
    filter = button.dataset.filter;
    render();
  });
}

function resetState() {
  todos = [];
  filter = 'all';
  removeKeys(STORAGE_KEYS);
  render();
}

function reloadState() {
  todos = loadTodos();
  render();
}

render();
"""


def js(spec: AppSpec) -> str:
    return script(spec, "a todo list", fill(_JS, KEY=js_value(spec.storage_key("todos"))))


KIND = AppKind(
    name="todo",
    keywords=(r"to-?dos?", r"to do", r"tasks?", r"task list", r"checklists?", r"chores?"),
    title="Todo List",
    palette=("#2563eb", "#f8fafc", "#f59e0b"),
    summary="A todo list: add tasks, tick them off when done, filter and delete them. "
    "Your tasks stay saved in this browser.",
    views=(
        ("Task list", "The todo list, a form to add tasks, checkboxes to complete them, delete buttons"),
        ("Filters", "Show all, active or done tasks, with a count of tasks left"),
    ),
    user_flow=(
        "A single centred column: the title, the add-task form, the task list, a footer with counts",
        "Clean card on a light background, the primary colour for actions, struck-through done tasks",
        "Type a task and press Enter, tick it off when done, filter the list, clear completed tasks",
    ),
    features=(
        "Add a task by typing it and pressing Enter",
        "Tick a task to mark it done; delete it with its button",
        "Filter all, active or done tasks; clear completed ones",
        "Tasks are saved in localStorage and survive a reload",
    ),
    body=body,
    css=css,
    js=js,
)
