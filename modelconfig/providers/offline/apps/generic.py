"""The fallback for any other request: a collection of entries to add, star, search and delete."""

from __future__ import annotations

from ..spec import AppSpec
from .common import AppKind, fill, js_value, script


def body(spec: AppSpec) -> str:
    return """    <section class="card" aria-labelledby="add-title">
      <h2 id="add-title">Add an entry</h2>
      <form id="item-form" class="item-form" autocomplete="off">
        <label for="item-name">Name</label>
        <input id="item-name" name="name" type="text" maxlength="120" placeholder="Name">
        <label for="item-details">Details (optional)</label>
        <textarea id="item-details" name="details" rows="3" placeholder="Anything to remember"></textarea>
        <button type="submit">Add entry</button>
      </form>
      <p id="item-status" class="status" role="status"></p>
    </section>
    <section class="card" aria-labelledby="items-title">
      <div class="list-header">
        <h2 id="items-title">Entries <span id="item-count" class="muted">(0)</span></h2>
        <label class="visually-hidden" for="item-search">Search entries</label>
        <input id="item-search" type="search" placeholder="Search">
      </div>
      <ul id="item-list" class="list item-list"></ul>
      <p id="item-empty" class="empty">No entries yet.</p>
    </section>
"""


def css(spec: AppSpec) -> str:
    return """.item-form {
  display: grid;
  gap: 0.5rem;
}

.item-form button {
  margin-top: 0.5rem;
}

.list-header {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: 0.5rem;
}

.list-header h2 {
  margin: 0;
}

.list-header input {
  width: auto;
  flex: 1 1 10rem;
  max-width: 16rem;
}

.item-list .details {
  flex: 1;
  min-width: 0;
}

.item-list .name {
  display: block;
  font-weight: 600;
  overflow-wrap: anywhere;
}

.item-list .text {
  display: block;
  color: var(--muted);
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}

.item-list button.star {
  min-height: 2.25rem;
  padding: 0.3rem 0.6rem;
  border-color: var(--border);
  background: transparent;
  color: var(--muted);
  font-size: 1.1rem;
}

.item-list button.star[aria-pressed="true"] {
  border-color: var(--accent);
  color: var(--text);
  background: var(--bg);
}
"""


_JS = """const ITEMS_KEY = %%KEY%%;
const STORAGE_KEYS = [ITEMS_KEY];

const form = document.getElementById('item-form');
const nameInput = document.getElementById('item-name');
const detailsInput = document.getElementById('item-details');
const statusLine = document.getElementById('item-status');
const searchInput = document.getElementById('item-search');
const list = document.getElementById('item-list');
const countLabel = document.getElementById('item-count');
const emptyState = document.getElementById('item-empty');

let items = loadItems();

function loadItems() {
  const data = readJson(ITEMS_KEY, []);
  if (!Array.isArray(data)) return [];
  return data
    .filter((item) => item && typeof item.name === 'string')
    .map((item) => ({
      id: String(item.id || newId()),
      name: item.name,
      details: typeof item.details === 'string' ? item.details : '',
      starred: Boolean(item.starred),
      created: Number(item.created) || Date.now(),
    }));
}

function saveItems() {
  writeJson(ITEMS_KEY, items);
}

function toggleStar(id) {
  const item = items.find((entry) => entry.id === id);
  if (!item) return;
  item.starred = !item.starred;
  saveItems();
  render();
}

function deleteItem(id) {
  items = items.filter((entry) => entry.id !== id);
  saveItems();
  render();
  statusLine.textContent = 'Entry deleted.';
}

function renderItem(item) {
  const row = document.createElement('li');
  row.dataset.id = item.id;

  const star = document.createElement('button');
  star.type = 'button';
  star.className = 'star';
  star.textContent = item.starred ? '\\u2605' : '\\u2606';
  star.setAttribute('aria-pressed', String(item.starred));
  star.setAttribute('aria-label', 'Star "' + item.name + '"');
  star.addEventListener('click', () => toggleStar(item.id));

  const details = document.createElement('div');
  details.className = 'details';
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = item.name;
  details.append(name);
  if (item.details) {
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = item.details;
    details.append(text);
  }

  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'delete';
  remove.textContent = 'Delete';
  remove.setAttribute('aria-label', 'Delete "' + item.name + '"');
  remove.addEventListener('click', () => deleteItem(item.id));

  row.append(star, details, remove);
  return row;
}

function render() {
  const query = searchInput.value.trim().toLowerCase();
  const visible = items
    .filter((item) => !query || (item.name + ' ' + item.details).toLowerCase().includes(query))
    .sort((a, b) => Number(b.starred) - Number(a.starred) || b.created - a.created);
  list.replaceChildren(...visible.map(renderItem));
  countLabel.textContent = '(' + items.length + ')';
  emptyState.hidden = visible.length > 0;
  emptyState.textContent = items.length === 0 ? 'No entries yet.' : 'No entries match your search.';
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  if (!name) {
    statusLine.textContent = 'Give the entry a name first.';
    nameInput.focus();
    return;
  }
  items.push({ id: newId(), name, details: detailsInput.value.trim(), starred: false, created: Date.now() });
  saveItems();
  form.reset();
  statusLine.textContent = 'Entry added.';
  render();
  nameInput.focus();
});

searchInput.addEventListener('input', render);

function resetState() {
  items = [];
  searchInput.value = '';
  removeKeys(STORAGE_KEYS);
  render();
  statusLine.textContent = 'All entries cleared.';
}

function reloadState() {
  items = loadItems();
  render();
}

render();
"""


def js(spec: AppSpec) -> str:
    return script(spec, "a collection of entries", fill(_JS, KEY=js_value(spec.storage_key("entries"))))


KIND = AppKind(
    name="generic",
    keywords=(),
    title="My Collection",
    palette=("#0e7490", "#ecfeff", "#f59e0b"),
    summary="A collection of entries to add with details, star, search and delete. "
    "Everything stays saved in this browser.",
    views=(
        ("Add entry", "A form for the name and details of a new entry"),
        ("Entries", "All entries, starred first, with search, star and delete"),
    ),
    user_flow=(
        "A single column: the add form above the searchable list",
        "Clean cards, the primary colour for actions, stars for favourites",
        "Add an entry, star the important ones, search and tidy up the list",
    ),
    features=(
        "Add entries with a name and optional details",
        "Star favourites (shown first), search and delete entries",
        "Entries are saved in localStorage and survive a reload",
    ),
    body=body,
    css=css,
    js=js,
)
