"""What the offline model knows about the app it writes: kind, title, palette, and derived colours.

A `Theme` turns a blueprint's colour palette into the CSS custom properties the generated apps use,
choosing text colours by contrast so any palette (even one written by another model) stays readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
DARK_TEXT = "#0f172a"
LIGHT_TEXT = "#f1f5f9"

# Named colours a user may ask for: (primary, a stronger shade for hover and headings).
NAMED_COLOURS: dict[str, tuple[str, str]] = {
    "red": ("#dc2626", "#b91c1c"),
    "orange": ("#ea580c", "#c2410c"),
    "amber": ("#d97706", "#b45309"),
    "yellow": ("#ca8a04", "#a16207"),
    "gold": ("#ca8a04", "#a16207"),
    "lime": ("#65a30d", "#4d7c0f"),
    "green": ("#16a34a", "#15803d"),
    "emerald": ("#059669", "#047857"),
    "teal": ("#0d9488", "#0f766e"),
    "cyan": ("#0891b2", "#0e7490"),
    "sky": ("#0284c7", "#0369a1"),
    "blue": ("#2563eb", "#1d4ed8"),
    "navy": ("#1e3a8a", "#172554"),
    "indigo": ("#4f46e5", "#4338ca"),
    "violet": ("#7c3aed", "#6d28d9"),
    "purple": ("#9333ea", "#7e22ce"),
    "magenta": ("#c026d3", "#a21caf"),
    "pink": ("#db2777", "#be185d"),
    "rose": ("#e11d48", "#be123c"),
    "brown": ("#92400e", "#78350f"),
    "gray": ("#4b5563", "#374151"),
    "grey": ("#4b5563", "#374151"),
    "black": ("#111827", "#000000"),
}
COLOUR_WORDS = re.compile(r"\b(" + "|".join(NAMED_COLOURS) + r")\b", re.IGNORECASE)
# "dark" or "night", but not a shade: "dark green" asks for a colour, not a dark theme.
DARK_WORDS = re.compile(r"\b(?:dark(?:er)?|night)\b(?!\s+(?:" + "|".join(NAMED_COLOURS) + r")\b)", re.IGNORECASE)


def is_hex_colour(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX.match(value))


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = colour[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def normalise(colour: str) -> str:
    """#RGB / #RRGGBB / #RRGGBBAA -> #rrggbb (alpha dropped: CSS variables here are opaque)."""
    return _hex(_rgb(colour))


def mix(a: str, b: str, amount: float) -> str:
    """`a` moved `amount` (0..1) of the way towards `b`."""
    ra, rb = _rgb(a), _rgb(b)
    return _hex(tuple(x + (y - x) * amount for x, y in zip(ra, rb, strict=True)))


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_on(background: str) -> str:
    """The text colour (dark or light) with the better contrast on `background`."""
    return DARK_TEXT if contrast(DARK_TEXT, background) >= contrast(LIGHT_TEXT, background) else LIGHT_TEXT


@dataclass(frozen=True)
class Theme:
    primary: str
    primary_strong: str
    primary_contrast: str
    accent: str
    bg: str
    surface: str
    text: str
    muted: str
    border: str

    @property
    def is_dark(self) -> bool:
        return self.text == LIGHT_TEXT

    @classmethod
    def from_palette(cls, palette: list[str] | tuple[str, ...]) -> Theme:
        """Palette order as the blueprint prompt asks: primary, background, then accents."""
        colours = [normalise(c) for c in palette if is_hex_colour(c)] or ["#2563eb"]
        primary = colours[0]
        bg = colours[1] if len(colours) > 1 else "#f8fafc"
        accent = colours[2] if len(colours) > 2 else primary
        text = readable_on(bg)
        dark = text == LIGHT_TEXT
        return cls(
            primary=primary,
            primary_strong=mix(primary, "#000000", 0.18),
            primary_contrast="#ffffff" if readable_on(primary) == LIGHT_TEXT else DARK_TEXT,
            accent=accent,
            bg=bg,
            surface=mix(bg, "#ffffff", 0.08) if dark else mix(bg, "#ffffff", 0.7),
            text=text,
            muted=mix(text, bg, 0.3),
            border=mix(bg, text, 0.16),
        )


@dataclass(frozen=True)
class AppSpec:
    """Everything the app writers need; derived from a request or read back from a blueprint."""

    kind: str
    title: str
    description: str
    project: str  # kebab-case; prefixes the app's localStorage keys
    palette: tuple[str, ...]
    topic: str = ""  # quiz: question bank
    currency: str = "USD"  # expense tracker

    @property
    def theme(self) -> Theme:
        return Theme.from_palette(self.palette)

    def storage_key(self, name: str) -> str:
        return f"{self.project}:{name}"
