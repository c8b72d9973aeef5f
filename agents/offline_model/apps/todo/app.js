const TODOS_KEY = APP_CONFIG.storageKeys.todos;
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
