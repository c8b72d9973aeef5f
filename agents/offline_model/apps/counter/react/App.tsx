import { useCallback, useEffect, useState } from 'react';
import { config } from './config';
import { readJson, writeJson } from './lib/storage';

const COUNTER_KEY = config.storageKeys.counter;
const HISTORY_LENGTH = 10;
const STEPS = [1, 5, 10];

interface Entry {
  delta: number;
  total: number;
  at: number;
}

interface State {
  count: number;
  step: number;
  history: Entry[];
}

function loadState(): State {
  const data = readJson(COUNTER_KEY, {}) as Partial<State> | null;
  const count = Number(data?.count);
  const step = Number(data?.step);
  const history = Array.isArray(data?.history) ? data.history : [];
  return {
    count: Number.isFinite(count) ? count : 0,
    step: STEPS.includes(step) ? step : 1,
    history: history.filter((entry) => entry && Number.isFinite(entry.delta)).slice(0, HISTORY_LENGTH),
  };
}

export default function App() {
  const [state, setState] = useState<State>(loadState);

  useEffect(() => writeJson(COUNTER_KEY, state), [state]);

  const change = useCallback((direction: 1 | -1) => {
    setState((current) => {
      const delta = direction * current.step;
      const count = current.count + delta;
      const history = [{ delta, total: count, at: Date.now() }, ...current.history].slice(0, HISTORY_LENGTH);
      return { ...current, count, history };
    });
  }, []);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target;
      if (target instanceof HTMLElement && target.matches('input, select, textarea')) return;
      if (event.key === '+' || event.key === 'ArrowUp') {
        event.preventDefault();
        change(1);
      } else if (event.key === '-' || event.key === 'ArrowDown') {
        event.preventDefault();
        change(-1);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [change]);

  return (
    <main className="app" id="main">
      <header className="app-header">
        <h1>{config.title}</h1>
        <p className="tagline">{config.description}</p>
      </header>
      <section className="card counter" aria-labelledby="count-label">
        <p id="count-label" className="muted">
          Current count
        </p>
        <output id="count" className="count" aria-live="polite">
          {state.count}
        </output>
        <div className="row counter-buttons">
          <button type="button" id="decrement" aria-label="Decrease" onClick={() => change(-1)}>
            &minus;
          </button>
          <button type="button" id="increment" aria-label="Increase" onClick={() => change(1)}>
            +
          </button>
        </div>
        <div className="row counter-options">
          <label htmlFor="step">Step</label>
          <select
            id="step"
            value={state.step}
            onChange={(event) => setState({ ...state, step: Number(event.target.value) || 1 })}
          >
            {STEPS.map((step) => (
              <option key={step} value={step}>
                {step}
              </option>
            ))}
          </select>
          <button
            type="button"
            id="reset-button"
            className="secondary"
            onClick={() => setState({ count: 0, step: state.step, history: [] })}
          >
            Reset
          </button>
        </div>
        <p className="muted hint">Tip: press + or &uarr; to count up, &minus; or &darr; to count down.</p>
      </section>
      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">Recent changes</h2>
        <ol id="history" className="history">
          {state.history.map((entry) => (
            <li key={entry.at + ':' + entry.total}>
              {(entry.delta > 0 ? '+' : '') + entry.delta} &rarr; {entry.total} ({new Date(entry.at).toLocaleTimeString()})
            </li>
          ))}
        </ol>
        {state.history.length === 0 && <p className="empty">Nothing counted yet.</p>}
      </section>
    </main>
  );
}
