"""A pomodoro timer: focus and break modes, start/pause, settings and daily stats; saved in localStorage."""

from __future__ import annotations

from ..spec import AppSpec
from .common import AppKind, fill, js_value, script


def body(spec: AppSpec) -> str:
    return """    <section class="card timer" aria-labelledby="mode-label">
      <div class="modes" role="group" aria-label="Timer mode">
        <button type="button" data-mode="focus" aria-pressed="true">Focus</button>
        <button type="button" data-mode="short" aria-pressed="false">Short break</button>
        <button type="button" data-mode="long" aria-pressed="false">Long break</button>
      </div>
      <p id="mode-label" class="mode-label">Focus</p>
      <p class="time" role="timer" aria-live="off"><span id="time-left">25:00</span></p>
      <progress id="timer-progress" class="timer-progress" max="1" value="0" aria-label="Elapsed"></progress>
      <div class="row timer-buttons">
        <button type="button" id="start-pause">Start</button>
        <button type="button" id="timer-restart" class="secondary">Restart</button>
        <button type="button" id="timer-skip" class="secondary">Skip</button>
      </div>
      <p id="timer-status" class="status" role="status"></p>
    </section>
    <section class="card" aria-labelledby="stats-title">
      <h2 id="stats-title">Stats</h2>
      <dl class="stats">
        <div><dt>Focus sessions today</dt><dd id="stat-today">0</dd></div>
        <div><dt>Focus minutes today</dt><dd id="stat-minutes">0</dd></div>
        <div><dt>Sessions all time</dt><dd id="stat-total">0</dd></div>
        <div><dt>Day streak</dt><dd id="stat-streak">0</dd></div>
      </dl>
    </section>
    <section class="card" aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <form id="timer-settings" class="timer-settings">
        <label for="focus-minutes">Focus (minutes)</label>
        <input id="focus-minutes" name="focus" type="number" min="1" max="120" value="25">
        <label for="short-minutes">Short break (minutes)</label>
        <input id="short-minutes" name="short" type="number" min="1" max="60" value="5">
        <label for="long-minutes">Long break (minutes)</label>
        <input id="long-minutes" name="long" type="number" min="1" max="60" value="15">
      </form>
    </section>
"""


def css(spec: AppSpec) -> str:
    return """.timer {
  text-align: center;
}

.modes {
  display: flex;
  flex-wrap: wrap;
  justify-content: center;
  gap: 0.5rem;
}

.modes button {
  min-height: 2.25rem;
  padding: 0.3rem 0.9rem;
  border-color: var(--border);
  background: transparent;
  color: var(--text);
}

.modes button[aria-pressed="true"] {
  border-color: var(--primary);
  background: var(--primary);
  color: var(--primary-contrast);
}

.mode-label {
  margin: 1rem 0 0;
  color: var(--muted);
  font-weight: 600;
  text-transform: uppercase;
  letter-spacing: 0.08em;
}

.time {
  margin: 0.25rem 0 1rem;
  font-size: clamp(3.5rem, 20vw, 6.5rem);
  font-weight: 700;
  font-variant-numeric: tabular-nums;
  line-height: 1;
}

.timer-progress {
  width: 100%;
  height: 0.6rem;
  accent-color: var(--primary);
}

.timer-buttons {
  justify-content: center;
  margin-top: 1rem;
}

.stats {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(8rem, 1fr));
  gap: 0.75rem;
  margin: 0;
}

.stats div {
  padding: 0.75rem;
  border: 1px solid var(--border);
  border-radius: 8px;
  background: var(--bg);
}

.stats dt {
  color: var(--muted);
  font-size: 0.85rem;
}

.stats dd {
  margin: 0.25rem 0 0;
  font-size: 1.5rem;
  font-weight: 700;
  font-variant-numeric: tabular-nums;
}

.timer-settings {
  display: grid;
  grid-template-columns: 1fr 6rem;
  align-items: center;
  gap: 0.5rem 1rem;
}
"""


_JS = """const SETTINGS_KEY = %%SETTINGS_KEY%%;
const STATS_KEY = %%STATS_KEY%%;
const STORAGE_KEYS = [SETTINGS_KEY, STATS_KEY];
const DEFAULT_MINUTES = { focus: 25, short: 5, long: 15 };
const MODE_LABELS = { focus: 'Focus', short: 'Short break', long: 'Long break' };
const SESSIONS_BEFORE_LONG_BREAK = 4;
const APP_TITLE = document.title;

const timeLeft = document.getElementById('time-left');
const modeLabel = document.getElementById('mode-label');
const progress = document.getElementById('timer-progress');
const startPauseButton = document.getElementById('start-pause');
const restartButton = document.getElementById('timer-restart');
const skipButton = document.getElementById('timer-skip');
const statusLine = document.getElementById('timer-status');
const modeButtons = Array.from(document.querySelectorAll('[data-mode]'));
const settingsForm = document.getElementById('timer-settings');
const minuteInputs = {
  focus: document.getElementById('focus-minutes'),
  short: document.getElementById('short-minutes'),
  long: document.getElementById('long-minutes'),
};
const statOutputs = {
  today: document.getElementById('stat-today'),
  minutes: document.getElementById('stat-minutes'),
  total: document.getElementById('stat-total'),
  streak: document.getElementById('stat-streak'),
};

let minutes = loadMinutes();
let stats = loadStats();
let mode = 'focus';
let remainingMs = minutes.focus * 60000;
let endsAt = null;
let ticker = null;
let focusInCycle = 0;

function loadMinutes() {
  const data = readJson(SETTINGS_KEY, {});
  const result = {};
  for (const name of Object.keys(DEFAULT_MINUTES)) {
    const value = Number(data && data[name]);
    const valid = Number.isFinite(value) && value >= 1 && value <= 120;
    result[name] = valid ? Math.round(value) : DEFAULT_MINUTES[name];
  }
  return result;
}

function loadStats() {
  const data = readJson(STATS_KEY, {});
  const days = data && typeof data.days === 'object' && data.days !== null ? data.days : {};
  const total = Number(data && data.total);
  return { days, total: Number.isFinite(total) ? total : 0 };
}

function dayKey(date) {
  const month = String(date.getMonth() + 1).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, '0');
  return date.getFullYear() + '-' + month + '-' + day;
}

function formatTime(ms) {
  const totalSeconds = Math.ceil(ms / 1000);
  const mm = String(Math.floor(totalSeconds / 60)).padStart(2, '0');
  const ss = String(totalSeconds % 60).padStart(2, '0');
  return mm + ':' + ss;
}

function durationMs(name) {
  return minutes[name] * 60000;
}

function isRunning() {
  return endsAt !== null;
}

function start() {
  if (isRunning()) return;
  endsAt = Date.now() + remainingMs;
  ticker = setInterval(tick, 250);
  statusLine.textContent = MODE_LABELS[mode] + ' started.';
  render();
}

function pause() {
  if (!isRunning()) return;
  remainingMs = Math.max(0, endsAt - Date.now());
  endsAt = null;
  clearInterval(ticker);
  ticker = null;
  render();
}

function tick() {
  remainingMs = Math.max(0, endsAt - Date.now());
  if (remainingMs === 0) {
    finish();
  } else {
    render();
  }
}

function recordFocusSession() {
  const key = dayKey(new Date());
  const day = stats.days[key] || { sessions: 0, minutes: 0 };
  day.sessions += 1;
  day.minutes += minutes.focus;
  stats.days[key] = day;
  stats.total += 1;
  // Keep about two months of days: enough for the streak, small in storage.
  const keys = Object.keys(stats.days).sort();
  for (const old of keys.slice(0, Math.max(0, keys.length - 60))) delete stats.days[old];
  writeJson(STATS_KEY, stats);
}

function chime() {
  try {
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) return;
    const context = new AudioContextClass();
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, context.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + 0.6);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start();
    oscillator.stop(context.currentTime + 0.6);
  } catch (error) {
    // Sound is a nicety: some browsers block audio until the page is interacted with.
  }
}

function finish() {
  pause();
  chime();
  if (mode === 'focus') {
    recordFocusSession();
    focusInCycle += 1;
    const next = focusInCycle % SESSIONS_BEFORE_LONG_BREAK === 0 ? 'long' : 'short';
    switchMode(next);
    statusLine.textContent = 'Focus session done. Time for a ' + MODE_LABELS[next].toLowerCase() + '.';
  } else {
    switchMode('focus');
    statusLine.textContent = 'Break over. Ready to focus?';
  }
}

function switchMode(next) {
  pause();
  mode = next;
  remainingMs = durationMs(next);
  render();
}

function streakDays() {
  const date = new Date();
  const hasSessions = (day) => (stats.days[dayKey(day)] || { sessions: 0 }).sessions > 0;
  // Today without a session yet does not break a streak that ran until yesterday.
  if (!hasSessions(date)) date.setDate(date.getDate() - 1);
  let streak = 0;
  while (hasSessions(date)) {
    streak += 1;
    date.setDate(date.getDate() - 1);
  }
  return streak;
}

function renderStats() {
  const today = stats.days[dayKey(new Date())] || { sessions: 0, minutes: 0 };
  statOutputs.today.textContent = String(today.sessions);
  statOutputs.minutes.textContent = String(today.minutes);
  statOutputs.total.textContent = String(stats.total);
  statOutputs.streak.textContent = String(streakDays());
}

function render() {
  const text = formatTime(remainingMs);
  timeLeft.textContent = text;
  modeLabel.textContent = MODE_LABELS[mode];
  progress.value = 1 - remainingMs / durationMs(mode);
  startPauseButton.textContent = isRunning() ? 'Pause' : remainingMs < durationMs(mode) ? 'Resume' : 'Start';
  document.title = isRunning() ? text + ' \\u00b7 ' + MODE_LABELS[mode] : APP_TITLE;
  for (const button of modeButtons) {
    button.setAttribute('aria-pressed', String(button.dataset.mode === mode));
  }
  for (const [name, input] of Object.entries(minuteInputs)) {
    if (document.activeElement !== input) input.value = String(minutes[name]);
  }
  renderStats();
}

startPauseButton.addEventListener('click', () => (isRunning() ? pause() : start()));

restartButton.addEventListener('click', () => {
  switchMode(mode);
  statusLine.textContent = MODE_LABELS[mode] + ' restarted.';
});

skipButton.addEventListener('click', () => {
  const next = mode === 'focus' ? 'short' : 'focus';
  switchMode(next);
  statusLine.textContent = 'Skipped to ' + MODE_LABELS[next].toLowerCase() + '.';
});

for (const button of modeButtons) {
  button.addEventListener('click', () => switchMode(button.dataset.mode));
}

settingsForm.addEventListener('submit', (event) => event.preventDefault());

settingsForm.addEventListener('change', () => {
  for (const [name, input] of Object.entries(minuteInputs)) {
    const value = Math.round(Number(input.value));
    minutes[name] = Number.isFinite(value) ? Math.min(120, Math.max(1, value)) : DEFAULT_MINUTES[name];
  }
  writeJson(SETTINGS_KEY, minutes);
  if (!isRunning()) remainingMs = durationMs(mode);
  render();
});

document.addEventListener('keydown', (event) => {
  const target = event.target;
  if (target instanceof HTMLElement && target.matches('input, select, textarea, button')) return;
  if (event.code === 'Space') {
    event.preventDefault();
    if (isRunning()) {
      pause();
    } else {
      start();
    }
  }
});

function resetState() {
  pause();
  removeKeys(STORAGE_KEYS);
  minutes = loadMinutes();
  stats = loadStats();
  focusInCycle = 0;
  switchMode('focus');
  statusLine.textContent = 'Timer and stats reset.';
}

function reloadState() {
  minutes = loadMinutes();
  stats = loadStats();
  if (!isRunning()) remainingMs = durationMs(mode);
  render();
}

render();
"""


def js(spec: AppSpec) -> str:
    return script(
        spec,
        "a pomodoro timer with stats",
        fill(
            _JS,
            SETTINGS_KEY=js_value(spec.storage_key("settings")),
            STATS_KEY=js_value(spec.storage_key("stats")),
        ),
    )


KIND = AppKind(
    name="timer",
    keywords=(
        r"pomodoros?",
        r"timers?",
        r"stopwatch(es)?",
        r"countdowns?",
        r"count down",
        r"focus sessions?",
    ),
    title="Focus Timer",
    palette=("#e11d48", "#fff1f2", "#0ea5e9"),
    summary="A pomodoro timer: focus sessions and short and long breaks, with start, pause, restart and "
    "skip, adjustable lengths, and stats of your focus sessions per day. Stats stay saved in this browser.",
    views=(
        ("Timer", "The countdown with focus and break modes, a progress bar, start, pause, restart, skip"),
        ("Stats", "Focus sessions and minutes today, sessions all time, and the day streak"),
        ("Settings", "Lengths of focus sessions and breaks in minutes"),
    ),
    user_flow=(
        "A centred column: the big timer card, then stats, then settings",
        "A large tabular countdown, the primary colour for the active mode, calm cards",
        "Start a focus session, take the suggested break when it ends, watch today's stats grow",
    ),
    features=(
        "Focus, short break and long break modes (a long break after every fourth focus session)",
        "Start, pause, restart and skip; Space starts and pauses",
        "A chime and the time left in the tab title while running",
        "Stats: focus sessions and minutes today, all-time sessions and the day streak",
        "Lengths and stats are saved in localStorage",
    ),
    body=body,
    css=css,
    js=js,
)
