const SIGNUPS_KEY = APP_CONFIG.storageKeys.signups;
const STORAGE_KEYS = [SIGNUPS_KEY];
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const navToggle = document.getElementById('nav-toggle');
const nav = document.getElementById('site-nav');
const form = document.getElementById('signup-form');
const emailInput = document.getElementById('signup-email');
const message = document.getElementById('signup-message');
const year = document.getElementById('year');

let signups = loadSignups();

function loadSignups() {
  const data = readJson(SIGNUPS_KEY, []);
  return Array.isArray(data) ? data.filter((email) => typeof email === 'string') : [];
}

function showSignedUp() {
  if (signups.length > 0) {
    message.textContent = "You're on the list as " + signups[signups.length - 1] + '. See you soon!';
  } else {
    message.textContent = '';
  }
}

navToggle.addEventListener('click', () => {
  const open = nav.classList.toggle('open');
  navToggle.setAttribute('aria-expanded', String(open));
});

nav.addEventListener('click', (event) => {
  if (event.target instanceof HTMLAnchorElement) {
    nav.classList.remove('open');
    navToggle.setAttribute('aria-expanded', 'false');
  }
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const email = emailInput.value.trim().toLowerCase();
  if (!EMAIL_PATTERN.test(email)) {
    message.textContent = 'Please enter a valid email address.';
    emailInput.focus();
    return;
  }
  if (!signups.includes(email)) signups.push(email);
  writeJson(SIGNUPS_KEY, signups);
  emailInput.value = '';
  showSignedUp();
});

function resetState() {
  signups = [];
  removeKeys(STORAGE_KEYS);
  showSignedUp();
}

function reloadState() {
  signups = loadSignups();
  showSignedUp();
}

year.textContent = String(new Date().getFullYear());
showSignedUp();
