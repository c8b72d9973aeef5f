import { FormEvent, useEffect, useState } from 'react';
import TodoItem, { Todo } from './components/TodoItem';
import { config } from './config';
import { readJson, writeJson } from './lib/storage';

type Filter = 'all' | 'active' | 'done';

const TODOS_KEY = config.storageKeys.todos;

function newId(): string {
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
}

function loadTodos(): Todo[] {
  const data = readJson(TODOS_KEY, []);
  if (!Array.isArray(data)) return [];
  return data
    .filter((todo) => todo && typeof todo.title === 'string')
    .map((todo) => ({ id: String(todo.id || newId()), title: String(todo.title), done: Boolean(todo.done) }));
}

export default function App() {
  const [todos, setTodos] = useState<Todo[]>(loadTodos);
  const [filter, setFilter] = useState<Filter>('all');
  const [title, setTitle] = useState('');

  useEffect(() => writeJson(TODOS_KEY, todos), [todos]);

  useEffect(() => {
    // Another open tab changed the saved tasks: show the same tasks here.
    const onStorage = (event: StorageEvent) => {
      if (event.key === TODOS_KEY || event.key === null) setTodos(loadTodos());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const visible = todos.filter((todo) => (filter === 'active' ? !todo.done : filter === 'done' ? todo.done : true));
  const left = todos.filter((todo) => !todo.done).length;

  function addTodo(event: FormEvent) {
    event.preventDefault();
    const text = title.trim();
    if (text) setTodos([...todos, { id: newId(), title: text, done: false }]);
    setTitle('');
  }

  function toggle(id: string) {
    setTodos(todos.map((todo) => (todo.id === id ? { ...todo, done: !todo.done } : todo)));
  }

  function remove(id: string) {
    setTodos(todos.filter((todo) => todo.id !== id));
  }

  return (
    <main className="app" id="main">
      <header className="app-header">
        <h1>{config.title}</h1>
        <p className="tagline">{config.description}</p>
      </header>
      <section className="card" aria-labelledby="tasks-title">
        <h2 id="tasks-title" className="visually-hidden">
          Tasks
        </h2>
        <form className="row" autoComplete="off" onSubmit={addTodo}>
          <label className="visually-hidden" htmlFor="new-todo">
            New task
          </label>
          <input
            id="new-todo"
            type="text"
            placeholder="What needs to be done?"
            maxLength={200}
            value={title}
            onChange={(event) => setTitle(event.target.value)}
          />
          <button type="submit">Add</button>
        </form>
        <div className="filters" role="group" aria-label="Show tasks">
          {(['all', 'active', 'done'] as Filter[]).map((name) => (
            <button key={name} type="button" aria-pressed={filter === name} onClick={() => setFilter(name)}>
              {name === 'all' ? 'All' : name === 'active' ? 'Active' : 'Done'}
            </button>
          ))}
        </div>
        <ul id="todo-list" className="list todo-list">
          {visible.map((todo) => (
            <TodoItem key={todo.id} todo={todo} onToggle={toggle} onDelete={remove} />
          ))}
        </ul>
        {visible.length === 0 && (
          <p className="empty">{todos.length ? 'No tasks match this filter.' : 'No tasks yet. Add one above.'}</p>
        )}
        <div className="todo-footer">
          <p id="todo-count" className="status" aria-live="polite">
            {left === 1 ? '1 task left' : `${left} tasks left`}
          </p>
          <button
            type="button"
            className="link"
            disabled={!todos.some((todo) => todo.done)}
            onClick={() => setTodos(todos.filter((todo) => !todo.done))}
          >
            Clear completed
          </button>
        </div>
      </section>
    </main>
  );
}
