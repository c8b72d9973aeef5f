"""Reading a request or a blueprint: which kind of app, its title, palette, topic and currency.

The same words always give the same app. A blueprint written by the offline model names its kind many
times (description, views, user flow), so reading the kind back from the blueprint gives the kind the
request asked for, even when the user's chosen title mentions another one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from .kinds import KINDS, TOPICS
from .spec import COLOUR_WORDS, DARK_WORDS, NAMED_COLOURS, AppSpec, is_hex_colour

_KIND_PATTERNS = {
    name: re.compile(r"\b(?:" + "|".join(kind.keywords) + r")\b", re.IGNORECASE)
    for name, kind in KINDS.items()
    if kind.keywords
}
_TOPIC_PATTERNS = {name: re.compile(rf"\b(?:{topic.pattern})\b", re.IGNORECASE) for name, topic in TOPICS.items()}
_CURRENCIES = (
    ("EUR", re.compile(r"€|\beuros?\b|\beur\b", re.IGNORECASE)),
    ("GBP", re.compile(r"£|\bpounds?\b|\bgbp\b|\bsterling\b", re.IGNORECASE)),
    ("JPY", re.compile(r"¥|\byen\b|\bjpy\b", re.IGNORECASE)),
    ("INR", re.compile(r"₹|\brupees?\b|\binr\b", re.IGNORECASE)),
    ("USD", re.compile(r"\$|\bdollars?\b|\busd\b", re.IGNORECASE)),
)
_AMOUNTS_IN = re.compile(r"\bAmounts are in ([A-Z]{3})\b")
DARK_BACKGROUND = "#0f172a"

_QUOTED_NAME = re.compile(
    r"\b(?:called|named|titled|name it|call it)\s+[\"“”'‘’«]([^\"“”'‘’»\n]{1,60})[\"“”'‘’»]", re.IGNORECASE
)
_BARE_NAME = re.compile(r"\b(?:called|named|titled)\s+([^\n,.;:!?()\"]{1,60})", re.IGNORECASE)
_NAME_STOP = re.compile(
    r"\s+(?:that|which|with|where|for|and|to|so|in|on|using|who|it|please)\b.*$", re.IGNORECASE | re.DOTALL
)
_LEAD = re.compile(
    r"^(?:please\s+)?(?:(?:can|could|would) you\s+)?(?:please\s+)?"
    r"(?:build|create|make|write|generate|design|code|develop|i want|i need|i'd like|i would like|give me)"
    r"\s+(?:me\s+|us\s+)?",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:a|an|the|my|our|some|one)\s+", re.IGNORECASE)
_ADJECTIVES = re.compile(
    r"^(?:(?:simple|small|basic|little|nice|cool|tiny|quick|minimal|web|single[- ]page|new|beautiful|modern)"
    r"\s+)+",
    re.IGNORECASE,
)
_APP_FOR = re.compile(r"^(?:app|application|tool|program)\s+(?:to|for|that|which)\s+(.+)$", re.IGNORECASE | re.DOTALL)
_TRAILING_APP = re.compile(r"\s+(?:app|application|tool|program)$", re.IGNORECASE)
_LANDING_FOR = re.compile(r"\b(?:for|about)\s+(?:a|an|the|my|our)?\s*([^\n,.;:!?()\"]{2,60})", re.IGNORECASE)


def classify(text: str) -> str:
    """The kind of app whose words occur most often in `text`; ties go to the more specific kind."""
    order = list(_KIND_PATTERNS)
    scores = {name: sum(1 for _ in pattern.finditer(text)) for name, pattern in _KIND_PATTERNS.items()}
    best = max(order, key=lambda name: (scores[name], -order.index(name)))
    return best if scores[best] else "generic"


def quiz_topic(text: str) -> str:
    for name, pattern in _TOPIC_PATTERNS.items():
        if pattern.search(text):
            return name
    return "general"


def currency(text: str) -> str:
    stated = _AMOUNTS_IN.search(text)
    if stated:
        return stated.group(1)
    for code, pattern in _CURRENCIES:
        if pattern.search(text):
            return code
    return "USD"


def slug(text: str, *, limit: int = 40) -> str:
    """kebab-case ASCII, as blueprints require for projectName."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    result = ""
    for word in words:
        candidate = f"{result}-{word}" if result else word
        if len(candidate) > limit:
            break
        result = candidate
    return result


def _title_case(text: str) -> str:
    words = text.split()
    if text == text.lower():
        words = [word[:1].upper() + word[1:] for word in words]
    return " ".join(words)


def _chosen_name(query: str) -> str:
    """A name the user gave the app ("called Daily Tasks", 'named "Bean There"'), if any."""
    quoted = _QUOTED_NAME.search(query)
    if quoted:
        return quoted.group(1).strip()
    bare = _BARE_NAME.search(query)
    if bare:
        name = _NAME_STOP.sub("", bare.group(1)).strip()
        return _title_case(" ".join(name.split()[:6]))
    return ""


def _first_sentence(query: str) -> str:
    return re.split(r"[.!?\n]", query.strip(), maxsplit=1)[0].strip()


def _generic_title(query: str) -> str:
    text = _LEAD.sub("", _first_sentence(query))
    text = _ADJECTIVES.sub("", _ARTICLE.sub("", text))
    app_for = _APP_FOR.match(text)
    if app_for:
        text = app_for.group(1)
    text = _NAME_STOP.sub("", text)
    words = [re.sub(r"[^\w'-]", "", word) for word in text.split()[:4]]
    text = _TRAILING_APP.sub("", " ".join(word for word in words if word))
    return _title_case(text) if text else KINDS["generic"].title


def _landing_title(query: str) -> str:
    subject = _LANDING_FOR.search(_first_sentence(query))
    if not subject:
        return KINDS["landing"].title
    text = _NAME_STOP.sub("", subject.group(1)).strip()
    return _title_case(" ".join(text.split()[:5])) or KINDS["landing"].title


def _title(query: str, kind: str, topic: str) -> str:
    chosen = _chosen_name(query)
    if chosen:
        return chosen
    if kind == "timer" and re.search(r"\bpomodoro", query, re.IGNORECASE):
        return "Pomodoro Timer"
    if kind == "quiz":
        return TOPICS[topic].title
    if kind == "expense" and re.search(r"\bbudget", query, re.IGNORECASE):
        return "Budget Tracker"
    if kind == "landing":
        return _landing_title(query)
    if kind == "generic":
        return _generic_title(query)
    if kind == "notes":
        for word in ("journal", "diary"):
            if re.search(rf"\b{word}", query, re.IGNORECASE):
                return word.capitalize()
    return KINDS[kind].title


def _palette(query: str, kind: str) -> tuple[str, ...]:
    primary, background, accent = KINDS[kind].palette
    colour = COLOUR_WORDS.search(query)
    if colour:
        primary = NAMED_COLOURS[colour.group(1).lower()][0]
    if DARK_WORDS.search(query):
        background = DARK_BACKGROUND
    return (primary, background, accent)


def describe(kind: str, title: str, topic: str, money: str) -> str:
    """The blueprint description: what the app does, naming its kind (so it can be read back)."""
    summary = KINDS[kind].summary
    if kind == "quiz":
        summary = summary.replace("A multiple-choice quiz", f"A multiple-choice quiz {TOPICS[topic].phrase}", 1)
    elif kind == "expense":
        summary += f" Amounts are in {money}."
    elif kind == "landing":
        summary = summary.replace("A landing page", f"A landing page for {title}", 1)
    elif kind == "generic":
        summary = f"{title}: {summary[0].lower()}{summary[1:]}"
    return summary


def spec_from_request(query: str) -> AppSpec:
    """The app the offline model proposes for a user's request."""
    chosen = _chosen_name(query)
    # The user's chosen name says nothing about the kind ("a notes app called Task Pad").
    kind = classify(query.replace(chosen, " ") if chosen else query)
    topic = quiz_topic(query) if kind == "quiz" else ""
    money = currency(query) if kind == "expense" else "USD"
    title = _title(query, kind, topic)[:80].strip() or KINDS[kind].title
    return AppSpec(
        kind=kind,
        title=title,
        description=describe(kind, title, topic, money),
        project=slug(title) or slug(KINDS[kind].title),
        palette=_palette(query, kind),
        topic=topic,
        currency=money,
    )


def _blueprint_text(blueprint: Mapping[str, object]) -> str:
    parts: list[str] = [str(blueprint.get(key) or "") for key in ("title", "projectName", "description")]
    for view in blueprint.get("views") or []:
        if isinstance(view, Mapping):
            parts += [str(view.get("name") or ""), str(view.get("description") or "")]
    flow = blueprint.get("userFlow")
    if isinstance(flow, Mapping):
        parts += [str(value) for value in flow.values()]
    return "\n".join(parts)


def spec_from_blueprint(blueprint: Mapping[str, object]) -> AppSpec:
    """The app a blueprint describes (the offline model's own, or another model's)."""
    text = _blueprint_text(blueprint)
    kind = classify(text)
    title = str(blueprint.get("title") or KINDS[kind].title).strip() or KINDS[kind].title
    palette = tuple(c for c in blueprint.get("colorPalette") or [] if is_hex_colour(c)) or KINDS[kind].palette
    description = str(blueprint.get("description") or "").strip() or KINDS[kind].summary
    return AppSpec(
        kind=kind,
        title=title,
        description=description,
        project=slug(str(blueprint.get("projectName") or "")) or slug(title) or kind,
        palette=palette,
        topic=quiz_topic(text) if kind == "quiz" else "",
        currency=currency(description) if kind == "expense" else "USD",
    )
