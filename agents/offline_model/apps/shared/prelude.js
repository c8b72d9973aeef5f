'use strict';

// What Atelier wrote for this app (its storage keys, ...) is JSON in index.html's #app-config block.
const APP_CONFIG = readConfig();

function readConfig() {
  const element = document.getElementById('app-config');
  try {
    const config = element ? JSON.parse(element.textContent) : {};
    return { storageKeys: {}, ...config };
  } catch (error) {
    return { storageKeys: {} };
  }
}

function readJson(key, fallback) {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch (error) {
    return fallback;
  }
}

function writeJson(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch (error) {
    // Storage may be full or disabled (private browsing): the app still works for this visit.
  }
}

function removeKeys(keys) {
  for (const key of keys) {
    try {
      localStorage.removeItem(key);
    } catch (error) {
      // Nothing to clear when storage is disabled.
    }
  }
}

function newId() {
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
}
