"""Renderings of a day: the digest text format, Markdown, one HTML page, and versioned JSON."""

from __future__ import annotations

import html
import json

from pipeline.digest import TextEntry, korean_date, render_day
from pipeline.entry import Entry

FORMATS = ("text", "markdown", "html", "json")
JSON_SCHEMA_ID = "https://github.com/digest/digest/schema/digest-v1.schema.json"
JSON_VERSION = 1


def text_entry(entry: Entry) -> TextEntry:
    return TextEntry(
        entry.title, entry.authors, entry.abstract, entry.comment_ko, entry.comment_en, entry.tags
    )


def arxiv_link(entry: Entry) -> str:
    if entry.source == "digest":
        return ""  # imported from a text digest: no arXiv id is known
    return entry.url or f"https://arxiv.org/abs/{entry.id}"


def render_text(date: str, entries: list[Entry]) -> str:
    return render_day(date, [text_entry(e) for e in entries])


def _md_escape(text: str) -> str:
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def _md_lines(text: str) -> str:
    """Keep the author's line breaks: Markdown needs a trailing backslash for a hard break."""
    paragraphs = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    return "\n\n".join("\\\n".join(_md_escape(line) for line in p.split("\n")) for p in paragraphs)


def render_markdown(date: str, entries: list[Entry]) -> str:
    out = [f"# {korean_date(date)}", ""]
    for entry in entries:
        link = arxiv_link(entry)
        title = _md_escape(" ".join(entry.title.split()))
        out.append(f"## [{title}]({link})" if link else f"## {title}")
        out.append("")
        out.append(f"*{_md_escape(', '.join(entry.authors))}*")
        out.append("")
        # the paper authors' line breaks: separate paragraphs inside the quote
        lines = [line for line in entry.abstract.split("\n") if line.strip()]
        out += ">\n".join(f"> {_md_escape(line)}\n" for line in lines).rstrip("\n").split("\n")
        out.append("")
        out += [_md_lines(entry.comment_ko), "", _md_lines(entry.comment_en), ""]
        if entry.tags:
            out += [" ".join(f"`#{t}`" for t in entry.tags), ""]
        out += ["---", ""]
    return "\n".join(out).rstrip("-\n") + "\n"


_CSS = """
:root{color-scheme:light dark}
body{font:17px/1.6 system-ui,-apple-system,"Apple SD Gothic Neo","Noto Sans KR","Malgun Gothic",sans-serif;
max-width:44rem;margin:0 auto;padding:1rem 1.1rem 3rem}
h1{font-size:1.5rem;margin:.5rem 0 1.5rem}
article{border-top:1px solid #8884;padding:1rem 0}
h2{font-size:1.1rem;line-height:1.35;margin:0 0 .3rem}
a{color:#1a5fb4}.authors{color:#777;font-size:.85rem;margin:0 0 .6rem}
details{font-size:.9rem;color:#555;margin:.4rem 0 .8rem}summary{cursor:pointer}
.ko,.en{white-space:pre-wrap;margin:.4rem 0}.ko{font-weight:500}
.tags{display:flex;flex-wrap:wrap;gap:.35rem;padding:0;list-style:none}
.tags li{font-size:.8rem;background:#8882;border-radius:1rem;padding:.1rem .6rem}
@media (prefers-color-scheme: dark){a{color:#8ab4f8}.authors,details{color:#aaa}}
"""


def render_html(date: str, entries: list[Entry]) -> str:
    e = html.escape
    title = korean_date(date)
    out = [
        "<!DOCTYPE html>",
        '<html lang="ko">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)} digest</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
    ]
    for entry in entries:
        link = arxiv_link(entry)
        heading = e(" ".join(entry.title.split()))
        if link:
            heading = f'<a href="{e(link)}">{heading}</a>'
        out += [
            f'<article id="{e(entry.id)}">',
            f'<h2 lang="en">{heading}</h2>',
            f'<p class="authors" lang="en">{e(", ".join(entry.authors))}</p>',
            f'<details lang="en"><summary>Abstract</summary><p>{e(entry.abstract)}</p></details>',
            f'<p class="ko" lang="ko">{e(entry.comment_ko.strip())}</p>',
            f'<p class="en" lang="en">{e(entry.comment_en.strip())}</p>',
        ]
        if entry.tags:
            out.append(
                '<ul class="tags">' + "".join(f"<li>#{e(t)}</li>" for t in entry.tags) + "</ul>"
            )
        out.append("</article>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def json_document(date: str, entries: list[Entry]) -> dict[str, object]:
    return {
        "$schema": JSON_SCHEMA_ID,
        "version": JSON_VERSION,
        "date": date,
        "entries": [
            {
                "id": entry.id,
                "arxiv_url": arxiv_link(entry) or None,
                "title": " ".join(entry.title.split()),
                "authors": entry.authors,
                "abstract": entry.abstract,
                "comment_ko": entry.comment_ko,
                "comment_en": entry.comment_en,
                "tags": entry.tags,
                "status": entry.status,
            }
            for entry in entries
        ],
    }


def render_json(date: str, entries: list[Entry]) -> str:
    return json.dumps(json_document(date, entries), ensure_ascii=False, indent=2) + "\n"


RENDERERS = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "json": render_json,
}
