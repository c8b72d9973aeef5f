const BEST_KEY = APP_CONFIG.storageKeys.best;
const STORAGE_KEYS = [BEST_KEY];
const QUESTIONS = APP_CONFIG.questions;

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
