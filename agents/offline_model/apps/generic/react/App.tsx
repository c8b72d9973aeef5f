import { FormEvent, useEffect, useState } from 'react';
import { config } from './config';
import { readJson, writeJson } from './lib/storage';

interface Entry {
  id: string;
  name: string;
  details: string;
  starred: boolean;
  created: number;
}

const ITEMS_KEY = config.storageKeys.entries;

function newId(): string {
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
}

function loadItems(): Entry[] {
  const data = readJson(ITEMS_KEY, []);
  if (!Array.isArray(data)) return [];
  return data
    .filter((item) => item && typeof item.name === 'string')
    .map((item) => ({
      id: String(item.id || newId()),
      name: String(item.name),
      details: typeof item.details === 'string' ? item.details : '',
      starred: Boolean(item.starred),
      created: Number(item.created) || Date.now(),
    }));
}

export default function App() {
  const [items, setItems] = useState<Entry[]>(loadItems);
  const [name, setName] = useState('');
  const [details, setDetails] = useState('');
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState('');

  useEffect(() => writeJson(ITEMS_KEY, items), [items]);

  function add(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setStatus('Give the entry a name first.');
      return;
    }
    setItems([...items, { id: newId(), name: name.trim(), details: details.trim(), starred: false, created: Date.now() }]);
    setName('');
    setDetails('');
    setStatus('Entry added.');
  }

  const needle = query.trim().toLowerCase();
  const visible = items
    .filter((item) => !needle || `${item.name} ${item.details}`.toLowerCase().includes(needle))
    .sort((a, b) => Number(b.starred) - Number(a.starred) || b.created - a.created);

  return (
    <main className="app" id="main">
      <header className="app-header">
        <h1>{config.title}</h1>
        <p className="tagline">{config.description}</p>
      </header>
      <section className="card" aria-labelledby="add-title">
        <h2 id="add-title">Add an entry</h2>
        <form className="item-form" autoComplete="off" onSubmit={add}>
          <label htmlFor="item-name">Name</label>
          <input id="item-name" type="text" maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />
          <label htmlFor="item-details">Details (optional)</label>
          <textarea id="item-details" rows={3} value={details} onChange={(e) => setDetails(e.target.value)} />
          <button type="submit">Add entry</button>
        </form>
        <p className="status" role="status">
          {status}
        </p>
      </section>
      <section className="card" aria-labelledby="items-title">
        <div className="list-header">
          <h2 id="items-title">
            Entries <span className="muted">({items.length})</span>
          </h2>
          <label className="visually-hidden" htmlFor="item-search">
            Search entries
          </label>
          <input id="item-search" type="search" placeholder="Search" value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
        <ul className="list item-list">
          {visible.map((item) => (
            <li key={item.id}>
              <button
                type="button"
                className="star"
                aria-pressed={item.starred}
                aria-label={`Star "${item.name}"`}
                onClick={() => setItems(items.map((i) => (i.id === item.id ? { ...i, starred: !i.starred } : i)))}
              >
                {item.starred ? '\u2605' : '\u2606'}
              </button>
              <div className="details">
                <span className="name">{item.name}</span>
                {item.details && <span className="text">{item.details}</span>}
              </div>
              <button
                type="button"
                className="delete"
                aria-label={`Delete "${item.name}"`}
                onClick={() => {
                  setItems(items.filter((i) => i.id !== item.id));
                  setStatus('Entry deleted.');
                }}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
        {visible.length === 0 && <p className="empty">{items.length ? 'No entries match.' : 'No entries yet.'}</p>}
      </section>
    </main>
  );
}
