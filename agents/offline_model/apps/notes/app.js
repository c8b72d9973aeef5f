const NOTES_KEY = APP_CONFIG.storageKeys.notes;
const STORAGE_KEYS = [NOTES_KEY];

const form = document.getElementById('note-form');
const titleInput = document.getElementById('note-title');
const bodyInput = document.getElementById('note-body');
const saveButton = document.getElementById('note-save');
const cancelButton = document.getElementById('note-cancel');
const editorTitle = document.getElementById('editor-title');
const statusLine = document.getElementById('note-status');
const searchInput = document.getElementById('note-search');
const list = document.getElementById('note-list');
const emptyState = document.getElementById('note-empty');

let notes = loadNotes();
let editingId = null;

function loadNotes() {
  const data = readJson(NOTES_KEY, []);
  if (!Array.isArray(data)) return [];
  return data
    .filter((note) => note && typeof note.body === 'string')
    .map((note) => ({
      id: String(note.id || newId()),
      title: typeof note.title === 'string' ? note.title : '',
      body: note.body,
      updated: Number(note.updated) || Date.now(),
    }));
}

function saveNotes() {
  writeJson(NOTES_KEY, notes);
}

function setStatus(message) {
  statusLine.textContent = message;
}

function startEditing(note) {
  editingId = note.id;
  titleInput.value = note.title;
  bodyInput.value = note.body;
  editorTitle.textContent = 'Edit note';
  saveButton.textContent = 'Save changes';
  cancelButton.hidden = false;
  bodyInput.focus();
}

function stopEditing() {
  editingId = null;
  form.reset();
  editorTitle.textContent = 'New note';
  saveButton.textContent = 'Add note';
  cancelButton.hidden = true;
}

function deleteNote(id) {
  notes = notes.filter((note) => note.id !== id);
  if (editingId === id) stopEditing();
  saveNotes();
  render();
  setStatus('Note deleted.');
}

function matches(note, query) {
  if (!query) return true;
  return (note.title + ' ' + note.body).toLowerCase().includes(query);
}

function renderNote(note) {
  const item = document.createElement('li');
  item.className = 'note';
  item.dataset.id = note.id;

  const heading = document.createElement('h3');
  heading.textContent = note.title || 'Untitled';
  const text = document.createElement('p');
  text.textContent = note.body;
  const time = document.createElement('time');
  time.dateTime = new Date(note.updated).toISOString();
  time.textContent = 'Edited ' + new Date(note.updated).toLocaleString();

  const actions = document.createElement('div');
  actions.className = 'row';
  const edit = document.createElement('button');
  edit.type = 'button';
  edit.className = 'secondary';
  edit.textContent = 'Edit';
  edit.addEventListener('click', () => startEditing(note));
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'delete';
  remove.textContent = 'Delete';
  remove.setAttribute('aria-label', 'Delete note "' + (note.title || 'Untitled') + '"');
  remove.addEventListener('click', () => deleteNote(note.id));
  actions.append(edit, remove);

  item.append(heading, text, time, actions);
  return item;
}

function render() {
  const query = searchInput.value.trim().toLowerCase();
  const visible = notes
    .filter((note) => matches(note, query))
    .sort((a, b) => b.updated - a.updated);
  list.replaceChildren(...visible.map(renderNote));
  emptyState.hidden = visible.length > 0;
  emptyState.textContent = notes.length === 0 ? 'No notes yet.' : 'No notes match your search.';
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const title = titleInput.value.trim();
  const body = bodyInput.value.trim();
  if (!title && !body) {
    setStatus('Write a title or some text first.');
    bodyInput.focus();
    return;
  }
  const existing = notes.find((note) => note.id === editingId);
  if (existing) {
    existing.title = title;
    existing.body = body;
    existing.updated = Date.now();
    setStatus('Note saved.');
  } else {
    notes.push({ id: newId(), title, body, updated: Date.now() });
    setStatus('Note added.');
  }
  saveNotes();
  stopEditing();
  render();
  titleInput.focus();
});

cancelButton.addEventListener('click', () => {
  stopEditing();
  setStatus('');
});

searchInput.addEventListener('input', render);

function resetState() {
  notes = [];
  stopEditing();
  searchInput.value = '';
  removeKeys(STORAGE_KEYS);
  render();
  setStatus('All notes cleared.');
}

function reloadState() {
  notes = loadNotes();
  if (editingId && !notes.some((note) => note.id === editingId)) stopEditing();
  render();
}

render();
