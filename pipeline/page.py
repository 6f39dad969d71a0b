"""The HTML page every page of digest is (export's day, review's, eval's): one self-contained
file, readable on a phone, in light and dark; the palette is the only place colours are named.

A page gives its title, its body and its own layout CSS (in the palette's variables); the shell
adds the head, the palette and what every page's text needs.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from pipeline.text import printable

# Light, and dark where the reader's system asks for it (prefers-color-scheme).
PALETTE = """
:root{color-scheme:light dark;--fg:#1b1b1b;--muted:#666;--line:#8884;--link:#1a5fb4;--chip:#8882;
--card:#f6f6f4;--bar:#8883;--fill:#3a76d8;--del-bg:#fde2e2;--del-fg:#8a1111;--ins-bg:#d7f3dc;
--ins-fg:#0c5a1b;--warn-bg:#fff1c2;--warn-fg:#6b4a00;--warn-line:#e0b94f}
@media (prefers-color-scheme: dark){:root{--fg:#e6e6e6;--muted:#a4a4a4;--link:#8ab4f8;
--card:#1f2226;--bar:#fff2;--fill:#7aa7f0;--del-bg:#5a1d1d;--del-fg:#ffc9c9;--ins-bg:#17452a;
--ins-fg:#c4f5cf;--warn-bg:#4a3a0a;--warn-fg:#ffe08a;--warn-line:#8a6d1a}
body{background:#15171a}}
"""

# Every page's text: the system font, then the Korean fonts of each platform; one centred column
# (its width and type size are the page's own); Korean breaks between words, not inside them, and
# a long URL breaks anywhere rather than widen the page; a word diff's deletions and insertions.
BASE_CSS = """
body{font-family:system-ui,-apple-system,"Apple SD Gothic Neo","Noto Sans KR","Noto Sans CJK KR",
"Malgun Gothic",sans-serif;margin:0 auto;padding:1rem 1.1rem 3rem;color:var(--fg);
overflow-wrap:anywhere}
:lang(ko){word-break:keep-all}
a{color:var(--link)}
del{background:var(--del-bg);color:var(--del-fg);text-decoration:line-through;border-radius:.2rem}
ins{background:var(--ins-bg);color:var(--ins-fg);text-decoration:none;border-radius:.2rem}
"""


def render_page(title: str, body: Iterable[str], css: str, *, lang: str = "en") -> str:
    """A whole page: the lines of `body` (its heading included) in the shell, `css` after the
    shared rules. `lang` is the language of most of its text (en, or ko for the digest itself);
    a part in the other language carries its own lang attribute."""
    head = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{PALETTE}{BASE_CSS}{css}</style>",
        "</head>",
        "<body>",
    ]
    return "\n".join([*head, *(printable(part) for part in body), "</body>", "</html>"]) + "\n"
