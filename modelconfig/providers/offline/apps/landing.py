"""A landing page: hero, features, FAQ and a sign-up form that remembers who signed up (localStorage)."""

from __future__ import annotations

from ..spec import AppSpec
from .common import AppKind, esc, fill, js_value, script


def body(spec: AppSpec) -> str:
    title = esc(spec.title)
    return f"""  <header class="site-header">
    <a class="brand" href="#top" data-app-title>{title}</a>
    <button type="button" id="nav-toggle" class="nav-toggle secondary" aria-expanded="false"
      aria-controls="site-nav">Menu</button>
    <nav id="site-nav" class="site-nav" aria-label="Main">
      <a href="#features">Features</a>
      <a href="#faq">FAQ</a>
      <a href="#signup">Sign up</a>
    </nav>
  </header>
  <main class="landing" id="top">
    <section class="hero">
      <h1 data-app-title>{title}</h1>
      <p class="tagline">Everything you want from <span data-app-title>{title}</span>, in one place. Join the
        list and be the first to know when it opens.</p>
      <div class="row hero-actions">
        <a class="button" href="#signup">Get early access</a>
        <a class="button ghost" href="#features">Learn more</a>
      </div>
    </section>
    <section id="features" class="features" aria-labelledby="features-title">
      <h2 id="features-title">Why <span data-app-title>{title}</span>?</h2>
      <div class="feature-grid">
        <article class="feature">
          <h3>Simple from the start</h3>
          <p>No set-up and nothing to learn: open it and you are ready to go.</p>
        </article>
        <article class="feature">
          <h3>Made with care</h3>
          <p>Every detail is designed to be clear, quick and pleasant to use, on any screen.</p>
        </article>
        <article class="feature">
          <h3>Yours, privately</h3>
          <p>Your details stay with you. No tracking, no ads, no surprises.</p>
        </article>
      </div>
    </section>
    <section id="faq" class="faq" aria-labelledby="faq-title">
      <h2 id="faq-title">Questions and answers</h2>
      <details>
        <summary>When can I start?</summary>
        <p>Leave your email below and we will let you know as soon as your spot is ready.</p>
      </details>
      <details>
        <summary>Does it cost anything?</summary>
        <p>Joining the list is free, and you can leave it at any time.</p>
      </details>
      <details>
        <summary>What do you do with my email?</summary>
        <p>We only use it to tell you about <span data-app-title>{title}</span>. We never share it.</p>
      </details>
    </section>
    <section id="signup" class="card signup" aria-labelledby="signup-title">
      <h2 id="signup-title">Get early access</h2>
      <form id="signup-form" class="row" novalidate>
        <label class="visually-hidden" for="signup-email">Email address</label>
        <input id="signup-email" name="email" type="email" autocomplete="email" placeholder="you@example.com">
        <button type="submit">Join the list</button>
      </form>
      <p id="signup-message" class="status" role="status"></p>
    </section>
  </main>
  <footer class="site-footer">
    <p>&copy; <span id="year">2025</span> <span data-app-title>{title}</span></p>
  </footer>
"""


def css(spec: AppSpec) -> str:
    return """.site-header {
  position: sticky;
  top: 0;
  z-index: 10;
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: 0.5rem;
  padding: 0.75rem max(1rem, calc((100% - 64rem) / 2));
  border-bottom: 1px solid var(--border);
  background: var(--surface);
}

.brand {
  color: var(--text);
  font-size: 1.15rem;
  font-weight: 700;
  text-decoration: none;
}

.site-nav {
  display: flex;
  gap: 1rem;
}

.site-nav a {
  color: var(--text);
  font-weight: 600;
  text-decoration: none;
}

.site-nav a:hover {
  color: var(--primary-strong);
  text-decoration: underline;
}

.nav-toggle {
  display: none;
}

.landing {
  width: min(100% - 2rem, 64rem);
  margin: 0 auto;
}

.hero {
  padding: clamp(3rem, 10vw, 6rem) 0 3rem;
  text-align: center;
}

.hero h1 {
  font-size: clamp(2.25rem, 8vw, 4rem);
}

.hero h1::after {
  margin-inline: auto;
}

.hero .tagline {
  max-width: 36rem;
  margin: 1rem auto 2rem;
  font-size: 1.2rem;
}

.hero-actions {
  justify-content: center;
}

.button.ghost {
  border-color: var(--border);
  background: transparent;
  color: var(--text);
}

.button.ghost:hover {
  background: var(--border);
}

.features,
.faq {
  padding: 2rem 0;
}

.features h2,
.faq h2 {
  font-size: 1.6rem;
  text-align: center;
}

.feature-grid {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr));
  gap: 1rem;
}

.feature {
  padding: 1.25rem;
  border: 1px solid var(--border);
  border-top: 4px solid var(--primary);
  border-radius: var(--radius);
  background: var(--surface);
}

.feature h3 {
  margin: 0 0 0.5rem;
}

.feature p {
  margin: 0;
  color: var(--muted);
}

.faq details {
  max-width: 44rem;
  margin: 0 auto 0.75rem;
  padding: 0.75rem 1rem;
  border: 1px solid var(--border);
  border-radius: 8px;
  background: var(--surface);
}

.faq summary {
  font-weight: 600;
  cursor: pointer;
}

.signup {
  max-width: 36rem;
  margin: 2rem auto 3rem;
  text-align: center;
}

.site-footer {
  padding: 1.5rem 1rem;
  border-top: 1px solid var(--border);
  color: var(--muted);
  text-align: center;
}

@media (max-width: 40rem) {
  .nav-toggle {
    display: inline-flex;
  }

  .site-nav {
    display: none;
    flex-basis: 100%;
    flex-direction: column;
    gap: 0.5rem;
    padding: 0.5rem 0;
  }

  .site-nav.open {
    display: flex;
  }
}
"""


_JS = """const SIGNUPS_KEY = %%KEY%%;
const STORAGE_KEYS = [SIGNUPS_KEY];
const EMAIL_PATTERN = /^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$/;

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
"""


def js(spec: AppSpec) -> str:
    return script(spec, "a landing page", fill(_JS, KEY=js_value(spec.storage_key("signups"))))


KIND = AppKind(
    name="landing",
    keywords=(
        r"landing",
        r"home ?page",
        r"marketing",
        r"web ?sites?",
        r"portfolio",
        r"product page",
        r"wait ?list",
        r"launch page",
        r"one-?pager",
    ),
    title="Landing Page",
    palette=("#db2777", "#fdf2f8", "#7c3aed"),
    summary="A landing page with a hero, features, questions and answers, and a sign-up form for "
    "early access.",
    views=(
        ("Hero", "The name, a one-line pitch and a call to action"),
        ("Features", "Three reasons to sign up"),
        ("FAQ", "Common questions with expandable answers"),
        ("Sign-up", "An email form for early access"),
    ),
    user_flow=(
        "A sticky header with navigation, then hero, features, FAQ, sign-up and footer",
        "Bold headline, generous whitespace, cards with a coloured top edge",
        "Read the pitch, skim the features and answers, leave an email to get early access",
    ),
    features=(
        "Hero, features, FAQ and footer sections, with a mobile menu",
        "A sign-up form that validates the email and remembers it (localStorage)",
    ),
    body=body,
    css=css,
    js=js,
)
