const SETTINGS_KEY = APP_CONFIG.storageKeys.settings;
const STATS_KEY = APP_CONFIG.storageKeys.stats;
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
  document.title = isRunning() ? text + ' \u00b7 ' + MODE_LABELS[mode] : APP_TITLE;
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
