"""Notes: write, edit, search and delete notes; saved in localStorage."""

from __future__ import annotations

from ..spec import AppSpec
from .common import AppKind, fill, js_value, script


def body(spec: AppSpec) -> str:
    return """    <section class="card" aria-labelledby="editor-title">
      <h2 id="editor-title">New note</h2>
      <form id="note-form" class="note-form" autocomplete="off">
        <label for="note-title">Title</label>
        <input id="note-title" name="title" type="text" maxlength="120" placeholder="Untitled">
        <label for="note-body">Note</label>
        <textarea id="note-body" name="body" rows="5" placeholder="Write something..."></textarea>
        <div class="row">
          <button type="submit" id="note-save">Add note</button>
          <button type="button" id="note-cancel" class="secondary" hidden>Cancel editing</button>
        </div>
      </form>
      <p id="note-status" class="status" role="status"></p>
    </section>
    <section class="card" aria-labelledby="notes-title">
      <h2 id="notes-title">Your notes</h2>
      <label class="visually-hidden" for="note-search">Search notes</label>
      <input id="note-search" type="search" placeholder="Search notes">
      <ul id="note-list" class="note-list"></ul>
      <p id="note-empty" class="empty">No notes yet.</p>
    </section>
"""


def css(spec: AppSpec) -> str:
    return """.note-form {
  display: grid;
  gap: 0.5rem;
}

.note-form .row {
  margin-top: 0.5rem;
}

.note-list {
  display: grid;
  gap: 0.75rem;
  margin: 1rem 0 0;
  padding: 0;
  list-style: none;
}

.note {
  padding: 1rem;
  border: 1px solid var(--border);
  border-left: 4px solid var(--primary);
  border-radius: 8px;
  background: var(--bg);
}

.note h3 {
  margin: 0;
  font-size: 1.05rem;
  overflow-wrap: anywhere;
}

.note p {
  margin: 0.5rem 0;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}

.note time {
  display: block;
  color: var(--muted);
  font-size: 0.85rem;
}

.note .row {
  margin-top: 0.5rem;
}

.note button {
  min-height: 2.25rem;
  padding: 0.3rem 0.8rem;
}
"""


_JS = """const NOTES_KEY = %%KEY%%;
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
"""


def js(spec: AppSpec) -> str:
    return script(spec, "a notes app", fill(_JS, KEY=js_value(spec.storage_key("notes"))))


KIND = AppKind(
    name="notes",
    keywords=(r"notes?", r"notepad", r"note-?taking", r"journal(ing)?", r"diary", r"memos?"),
    title="Notes",
    palette=("#b45309", "#fffbeb", "#0f766e"),
    summary="A notes app: write notes with a title, edit and delete them, and search your notes. "
    "Notes stay saved in this browser.",
    views=(
        ("Note editor", "A form to write a new note or edit an existing note"),
        ("Notes list", "All notes, newest first, with a search box"),
    ),
    user_flow=(
        "A single column: the note editor above the searchable list of notes",
        "Warm paper-like colours, notes as cards with a coloured edge",
        "Write a note and add it, search notes, edit or delete a note from its card",
    ),
    features=(
        "Write notes with an optional title",
        "Edit or delete any note",
        "Search notes by title or text",
        "Notes are saved in localStorage and survive a reload",
    ),
    body=body,
    css=css,
    js=js,
)
