const ITEMS_KEY = APP_CONFIG.storageKeys.entries;
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
  star.textContent = item.starred ? '\u2605' : '\u2606';
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
