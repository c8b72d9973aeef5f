"""A multiple-choice quiz: one question at a time, instant feedback, score and best score saved."""

from __future__ import annotations

from ..spec import AppSpec
from .common import AppKind, fill, js_value, script

# Question banks by topic: (question, answers, index of the correct answer).
QUESTION_BANKS: dict[str, tuple[tuple[str, tuple[str, ...], int], ...]] = {
    "general": (
        ("How many continents are there on Earth?", ("5", "6", "7", "8"), 2),
        ("What is the chemical symbol for gold?", ("Ag", "Au", "Gd", "Go"), 1),
        ("Which is the largest ocean?", ("Atlantic", "Indian", "Arctic", "Pacific"), 3),
        ("How many sides does a hexagon have?", ("5", "6", "7", "8"), 1),
        ("Who painted the Mona Lisa?", ("Michelangelo", "Raphael", "Leonardo da Vinci", "Donatello"), 2),
        ("At sea level, water boils at how many degrees Celsius?", ("90", "100", "110", "120"), 1),
    ),
    "space": (
        ("Which planet is known as the Red Planet?", ("Venus", "Mars", "Jupiter", "Saturn"), 1),
        ("What is the largest planet in our solar system?", ("Saturn", "Jupiter", "Neptune", "Earth"), 1),
        (
            "Roughly how long does sunlight take to reach Earth?",
            ("8 seconds", "8 minutes", "8 hours", "8 days"),
            1,
        ),
        ("What is the name of our galaxy?", ("Andromeda", "The Milky Way", "Triangulum", "Sombrero"), 1),
        ("Which planet has the most prominent rings?", ("Uranus", "Saturn", "Mars", "Mercury"), 1),
        (
            "Who was the first person to walk on the Moon?",
            ("Buzz Aldrin", "Yuri Gagarin", "Neil Armstrong", "Michael Collins"),
            2,
        ),
    ),
    "web": (
        (
            "What does HTML stand for?",
            (
                "HyperText Markup Language",
                "High-level Text Machine Language",
                "Hyperlink and Text Markup Language",
                "Home Tool Markup Language",
            ),
            0,
        ),
        ("Which CSS property sets the colour of text?", ("font-color", "text-color", "color", "ink"), 2),
        ("Which HTML element loads an external stylesheet?", ("<style>", "<link>", "<script>", "<css>"), 1),
        (
            "Which method turns a JavaScript object into a JSON string?",
            ("JSON.parse", "JSON.stringify", "Object.toJSON", "String.fromJSON"),
            1,
        ),
        (
            'What does the "defer" attribute of a script do?',
            (
                "Runs the script after the document is parsed",
                "Never runs the script",
                "Runs the script on a server",
                "Loads the script only on click",
            ),
            0,
        ),
        (
            "Where does localStorage keep its data?",
            ("On the web server", "In a cookie", "In the browser, per site", "In the URL"),
            2,
        ),
    ),
    "geography": (
        ("What is the capital of Australia?", ("Sydney", "Melbourne", "Canberra", "Perth"), 2),
        ("What is the capital of Canada?", ("Toronto", "Vancouver", "Ottawa", "Montreal"), 2),
        ("Which is the longest river in South America?", ("Parana", "Amazon", "Orinoco", "Magdalena"), 1),
        ("Which is the largest hot desert in the world?", ("Gobi", "Kalahari", "Sahara", "Arabian"), 2),
        ("On which continent is Kenya?", ("Asia", "Africa", "South America", "Oceania"), 1),
        (
            "Mount Everest stands on the border of Nepal and which country?",
            ("India", "China", "Bhutan", "Pakistan"),
            1,
        ),
    ),
}

# How a topic is recognised in a request or a blueprint, and the words used to describe it.
TOPICS: dict[str, tuple[str, str, str]] = {
    # topic: (regular expression, title, phrase for the description)
    "space": (r"space|planets?|astronomy|solar system|galax(y|ies)|nasa|moon", "Space Quiz", "about space"),
    "web": (
        r"web development|web basics|html|css|javascript|programming|coding",
        "Web Development Quiz",
        "about web development (HTML, CSS and JavaScript)",
    ),
    "geography": (
        r"geography|capitals?|countries|continents?|rivers?|deserts?",
        "Geography Quiz",
        "about geography",
    ),
    "general": (r"general knowledge|trivia", "Trivia Quiz", "of general-knowledge trivia"),
}


def body(spec: AppSpec) -> str:
    return """    <section id="quiz" class="card quiz" aria-labelledby="question">
      <p id="quiz-progress" class="muted">Question 1</p>
      <h2 id="question" class="question">Loading...</h2>
      <div id="answers" class="answers" role="group" aria-labelledby="question"></div>
      <p id="feedback" class="feedback" role="status"></p>
      <div class="row quiz-footer">
        <p id="quiz-score" class="muted">Score: 0</p>
        <button type="button" id="next-question" disabled>Next question</button>
      </div>
    </section>
    <section id="result" class="card result" aria-labelledby="result-title" hidden>
      <h2 id="result-title">Your score</h2>
      <p id="final-score" class="final-score">0 / 0</p>
      <p id="best-score" class="muted"></p>
      <button type="button" id="restart">Play again</button>
    </section>
"""


def css(spec: AppSpec) -> str:
    return """.question {
  font-size: 1.3rem;
}

.answers {
  display: grid;
  gap: 0.5rem;
}

.answers button {
  justify-content: flex-start;
  border-color: var(--border);
  background: var(--surface);
  color: var(--text);
  font-weight: 500;
  text-align: left;
}

.answers button:hover:not(:disabled) {
  border-color: var(--primary);
  background: var(--bg);
}

.answers button:disabled {
  opacity: 1;
  cursor: default;
}

.answers button.correct {
  border-color: #15803d;
  background: #dcfce7;
  color: #14532d;
}

.answers button.wrong {
  border-color: #b91c1c;
  background: #fee2e2;
  color: #7f1d1d;
}

.feedback {
  min-height: 1.5rem;
  margin: 1rem 0 0;
  font-weight: 600;
}

.quiz-footer {
  justify-content: space-between;
}

.quiz-footer p {
  margin: 0;
}

.result {
  text-align: center;
}

.final-score {
  margin: 0.5rem 0;
  font-size: 3rem;
  font-weight: 700;
  color: var(--primary-strong);
}
"""


_JS = """const BEST_KEY = %%KEY%%;
const STORAGE_KEYS = [BEST_KEY];
const QUESTIONS = %%QUESTIONS%%;

const quizSection = document.getElementById('quiz');
const resultSection = document.getElementById('result');
const progressLine = document.getElementById('quiz-progress');
const questionHeading = document.getElementById('question');
const answersGroup = document.getElementById('answers');
const feedback = document.getElementById('feedback');
const scoreLine = document.getElementById('quiz-score');
const nextButton = document.getElementById('next-question');
const finalScore = document.getElementById('final-score');
const bestScoreLine = document.getElementById('best-score');
const restartButton = document.getElementById('restart');

let index = 0;
let score = 0;
let answered = false;
let best = loadBest();

function loadBest() {
  const data = readJson(BEST_KEY, {});
  const value = Number(data && data.best);
  const plays = Number(data && data.plays);
  return { best: Number.isFinite(value) ? value : 0, plays: Number.isFinite(plays) ? plays : 0 };
}

function renderQuestion() {
  const item = QUESTIONS[index];
  answered = false;
  progressLine.textContent = 'Question ' + (index + 1) + ' of ' + QUESTIONS.length;
  questionHeading.textContent = item.question;
  feedback.textContent = '';
  scoreLine.textContent = 'Score: ' + score;
  nextButton.disabled = true;
  nextButton.textContent = index === QUESTIONS.length - 1 ? 'See your score' : 'Next question';
  answersGroup.replaceChildren(
    ...item.answers.map((text, answerIndex) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = answerIndex + 1 + '. ' + text;
      button.dataset.index = String(answerIndex);
      button.addEventListener('click', () => choose(answerIndex));
      return button;
    })
  );
}

function choose(answerIndex) {
  if (answered) return;
  answered = true;
  const item = QUESTIONS[index];
  const buttons = Array.from(answersGroup.querySelectorAll('button'));
  buttons.forEach((button, buttonIndex) => {
    button.disabled = true;
    if (buttonIndex === item.correct) button.classList.add('correct');
    else if (buttonIndex === answerIndex) button.classList.add('wrong');
  });
  if (answerIndex === item.correct) {
    score += 1;
    feedback.textContent = 'Correct!';
  } else {
    feedback.textContent = 'Not quite: the answer is ' + item.answers[item.correct] + '.';
  }
  scoreLine.textContent = 'Score: ' + score;
  nextButton.disabled = false;
  nextButton.focus();
}

function showResult() {
  best.plays += 1;
  const isNewBest = score > best.best;
  best.best = Math.max(best.best, score);
  writeJson(BEST_KEY, best);
  quizSection.hidden = true;
  resultSection.hidden = false;
  finalScore.textContent = score + ' / ' + QUESTIONS.length;
  bestScoreLine.textContent = isNewBest
    ? 'A new best score!'
    : 'Best score: ' + best.best + ' / ' + QUESTIONS.length + ' (' + best.plays + ' plays)';
  restartButton.focus();
}

function restart() {
  index = 0;
  score = 0;
  quizSection.hidden = false;
  resultSection.hidden = true;
  renderQuestion();
}

nextButton.addEventListener('click', () => {
  if (!answered) return;
  if (index < QUESTIONS.length - 1) {
    index += 1;
    renderQuestion();
  } else {
    showResult();
  }
});

restartButton.addEventListener('click', restart);

document.addEventListener('keydown', (event) => {
  if (quizSection.hidden || event.ctrlKey || event.metaKey || event.altKey) return;
  const number = Number(event.key);
  if (Number.isInteger(number) && number >= 1 && number <= QUESTIONS[index].answers.length) {
    choose(number - 1);
  }
});

function resetState() {
  removeKeys(STORAGE_KEYS);
  best = loadBest();
  restart();
}

function reloadState() {
  best = loadBest();
}

renderQuestion();
"""


def questions(topic: str) -> list[dict[str, object]]:
    bank = QUESTION_BANKS.get(topic) or QUESTION_BANKS["general"]
    return [{"question": q, "answers": list(answers), "correct": correct} for q, answers, correct in bank]


def js(spec: AppSpec) -> str:
    bank = "[\n" + ",\n".join("  " + js_value(item) for item in questions(spec.topic)) + "\n]"
    return script(spec, "a quiz", fill(_JS, KEY=js_value(spec.storage_key("best")), QUESTIONS=bank))


KIND = AppKind(
    name="quiz",
    keywords=(r"quiz(zes)?", r"trivia", r"flash ?cards?", r"exam", r"test my knowledge"),
    title="Trivia Quiz",
    palette=("#4f46e5", "#eef2ff", "#f59e0b"),
    summary="A multiple-choice quiz: one question at a time with instant feedback, a final score, "
    "and the best score saved in this browser.",
    views=(
        ("Question", "The current quiz question with its answers, feedback and the score so far"),
        ("Result", "The final score, the best score, and a button to play the quiz again"),
    ),
    user_flow=(
        "A single card showing one question at a time; a result card at the end",
        "Large answer buttons that turn green or red, the primary colour for actions",
        "Pick an answer (click or press 1-4), see if it was right, go to the next question, see the score",
    ),
    features=(
        "Multiple-choice questions with instant feedback",
        "Keyboard: press 1-4 to answer",
        "Final score and best score (saved in localStorage)",
    ),
    body=body,
    css=css,
    js=js,
)
