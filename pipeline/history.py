"""Every draft as history: what each one says, searchable, in one SQLite file in the cache folder.

Commands over the whole history (the author's earlier pairs for the prompt, tags, glossary
suggestions, what awaits translation, the trend of the edit rate) read this file instead of
parsing thousands of drafts. It is kept in step with the drafts folder incrementally: each use
compares every draft file's size, mtime and inode with what it recorded and parses only the files
that changed. Losing it costs one rebuild, nothing else.

Similar comments are found with SQLite's full-text index (FTS5, BM25 ranking) over character
2- and 3-grams: cheap, language-agnostic, and good at Korean, where particles break whole-word
matching.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.entry import AWAITING, READY, Entry, Status
from pipeline.errors import EnvironmentFailure, InputError
from pipeline.examples import Example, ngrams
from pipeline.store import Store

SCHEMA_VERSION = 3
_SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (
    path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, inode INTEGER,
    id TEXT, date TEXT, status TEXT, tags TEXT, source TEXT,
    title TEXT, abstract TEXT, comment_ko TEXT, machine_en TEXT, comment_en TEXT,
    problem TEXT, ko_terms TEXT, en_terms TEXT
);
CREATE VIRTUAL TABLE IF NOT EXISTS pairs USING fts5(grams, tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS papers USING fts5(grams, tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS pairs_terms USING fts5vocab(pairs, 'row');
CREATE VIRTUAL TABLE IF NOT EXISTS papers_terms USING fts5vocab(papers, 'row');
CREATE TABLE IF NOT EXISTS acronyms (draft INTEGER, word TEXT, kept INTEGER);
CREATE INDEX IF NOT EXISTS acronyms_of_draft ON acronyms (draft);
"""
_COLUMNS = (
    "id date status tags source title abstract comment_ko machine_en comment_en problem "
    "ko_terms en_terms"
).split()
_TERMS = ("ko_terms", "en_terms")  # what `glossary suggest` counts, joined by tabs
# a query of a whole comment is hundreds of n-grams; the rarest say the most
_MAX_QUERY_GRAMS = 128


def grams_text(text: str) -> str:
    """The n-grams of a text as FTS tokens (letters and digits only, so each is one token)."""
    return " ".join(g for g in ngrams(text) if g.isalnum())


def is_example(entry: Entry) -> bool:
    """A pair of the author's that may guide the model: published English for a comment, his
    own or accepted by him; a model's English that fails a check is no example of his."""
    if not (entry.comment_ko.strip() and entry.comment_en.strip()) or entry.status == AWAITING:
        return False
    return entry.status == READY or entry.hand_edited


class History:
    """The history of a drafts folder (kept in `path`), or of given pairs (`of`, in memory)."""

    def __init__(self, store: Store | None, path: Path | None) -> None:
        self.store = store
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._synced = store is None  # pairs given in memory are in step by construction

    @classmethod
    def of(cls, pairs: list[Example]) -> History:
        """An in-memory history of the author's pairs (`eval`'s corpus), searched as drafts are."""
        history = cls(None, None)
        with history._open() as db:
            for n, pair in enumerate(pairs):
                entry = Entry(
                    pair.key,
                    "",
                    "",
                    [],
                    "",
                    pair.korean,
                    comment_en=pair.english,
                    tags=list(pair.tags),
                )
                entry.status = Status.READY
                _add(db, f"pair:{n}", (0, 0, 0), entry)
        return history

    # -- the file -------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit: the sync opens its own transaction (BEGIN IMMEDIATE, below)
            db = sqlite3.connect(
                self.path or ":memory:", timeout=30, check_same_thread=False, isolation_level=None
            )
            try:
                if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                    db.executescript(
                        "DROP TABLE IF EXISTS drafts; DROP TABLE IF EXISTS pairs;"
                        "DROP TABLE IF EXISTS papers; DROP TABLE IF EXISTS pairs_terms;"
                        "DROP TABLE IF EXISTS papers_terms; DROP TABLE IF EXISTS acronyms;"
                    )
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.executescript(_SCHEMA)
            except BaseException:
                db.close()
                raise
            self._db = db
        return self._db

    def _rebuild(self) -> sqlite3.Connection:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
        return self._connect()

    def _connect_or_rebuild(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) or self.path is None:
                raise  # locked, or cannot be opened: another process's file is not ours to delete
            return self._rebuild()  # not a database (damaged): it is only a cache

    @contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        """The database, in step with the drafts folder (synced once per run). Any SQLite
        failure is one clear error (exit 4), never a traceback."""
        with self._lock:
            try:
                db = self._connect_or_rebuild()
                if not self._synced:
                    try:
                        self._sync(db)
                    except sqlite3.DatabaseError as exc:
                        if isinstance(exc, sqlite3.OperationalError) or self.path is None:
                            raise
                        db = self._rebuild()  # damaged inside ("malformed"): it is only a cache
                        self._sync(db)
                    self._synced = True
                yield db
            except sqlite3.Error as exc:
                raise EnvironmentFailure(
                    f"the history file {self.path} cannot be used ({exc}); "
                    "delete it and it is rebuilt"
                ) from None

    def _sync(self, db: sqlite3.Connection) -> None:
        # One transaction that takes the write lock first: two commands syncing at once take
        # turns, and each sees the other's rows (or none of them), never half.
        db.execute("BEGIN IMMEDIATE")
        try:
            self._update(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _update(self, db: sqlite3.Connection) -> None:
        assert self.store is not None
        known = {
            row[0]: tuple(row[1:])
            for row in db.execute("SELECT path, size, mtime, inode FROM drafts")
        }
        seen: set[str] = set()
        for path in self.store.files():
            try:
                stat = path.stat()
            except OSError:
                continue
            key, signature = str(path), (stat.st_size, stat.st_mtime_ns, stat.st_ino)
            seen.add(key)
            if known.get(key) != signature:
                self._record(db, path, signature)
        for gone in known.keys() - seen:
            self._forget(db, gone)

    def _record(self, db: sqlite3.Connection, path: Path, signature: tuple[int, int, int]) -> None:
        self._forget(db, str(path))
        assert self.store is not None
        try:
            entry = self.store.load(path)
        except InputError as exc:
            problem = dict.fromkeys(_COLUMNS, "") | {"problem": str(exc)}
            _insert(db, str(path), signature, problem)
            return
        _add(db, str(path), signature, entry)

    def _forget(self, db: sqlite3.Connection, path: str) -> None:
        found = db.execute("SELECT rowid FROM drafts WHERE path = ?", (path,)).fetchone()
        if found is not None:
            for table in ("pairs", "papers", "drafts"):
                db.execute(f"DELETE FROM {table} WHERE rowid = ?", found)
            db.execute("DELETE FROM acronyms WHERE draft = ?", found)

    # -- what commands ask ----------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        """Every readable draft, with what history is asked about (not the whole draft)."""
        with self._open() as db:
            rows = db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM drafts WHERE problem = '' ORDER BY date, path"
            ).fetchall()
        return [_entry(dict(zip(_COLUMNS, row, strict=True))) for row in rows]

    def term_sets(self) -> list[tuple[set[str], set[str]]]:
        """Each readable draft's Korean stems and English terms, for `glossary suggest`."""
        with self._open() as db:
            rows = db.execute(
                "SELECT ko_terms, en_terms FROM drafts WHERE problem = '' AND ko_terms != ''"
            ).fetchall()
        return [(set(ko.split("\t")), set(en.split("\t"))) for ko, en in rows]

    def acronym_counts(self) -> dict[str, tuple[int, int]]:
        """How the author writes each acronym: (his drafts whose Korean has it, those whose
        published English keeps it as written), over the drafts that are his (check.AcronymUsage
        decides from it whether losing one is an error)."""
        with self._open() as db:
            rows = db.execute(
                "SELECT word, count(*), sum(kept) FROM acronyms GROUP BY word"
            ).fetchall()
        return {word: (int(seen), int(kept)) for word, seen, kept in rows}

    def problems(self) -> list[str]:
        """Why each unreadable draft cannot be read (file and line)."""
        with self._open() as db:
            return [r[0] for r in db.execute("SELECT problem FROM drafts WHERE problem != ''")]

    def count(self) -> tuple[int, int]:
        """Readable drafts, and the days they are on."""
        with self._open() as db:
            row = db.execute(
                "SELECT count(*), count(DISTINCT date) FROM drafts WHERE problem = ''"
            ).fetchone()
        return int(row[0]), int(row[1])

    def awaiting(self, date: str | None = None) -> list[Path]:
        """The drafts whose comment awaits translation (of one day, if given)."""
        with self._open() as db:
            rows = db.execute(
                "SELECT path FROM drafts WHERE status = ? AND (? IS NULL OR date = ?) "
                "ORDER BY date, path",
                (str(Status.AWAITING), date, date),
            ).fetchall()
        return [Path(r[0]) for r in rows]

    def tag_counts(self, exclude: str = "") -> Counter[str]:
        """How often each tag was used, over every readable draft but the entry `exclude`."""
        from pipeline.tags import vocabulary

        return vocabulary(e for e in self.entries() if e.id != exclude)

    def nearest(
        self, korean: str, k: int = 3, exclude: frozenset[str] = frozenset()
    ) -> list[tuple[float, Example]]:
        """The author's published pairs most like `korean` (BM25 over n-grams), best first;
        entries named in `exclude`, and the same comment, are never returned."""
        rows = self._search("pairs", korean, k + len(exclude) + 5)
        found = []
        for score, row in rows:
            if row["id"] in exclude or row["comment_ko"].strip() == korean.strip():
                continue
            example = Example(row["id"], row["comment_ko"], row["comment_en"], _tags(row))
            found.append((score, example))
        return found[:k]

    def similar_papers(self, text: str, k: int = 8) -> list[tuple[float, Example]]:
        """Past tagged papers most like a paper's title and abstract (to suggest tags)."""
        return [
            (score, Example(row["id"], row["title"], "", _tags(row)))
            for score, row in self._search("papers", text, k)
        ]

    def _search(self, table: str, text: str, limit: int) -> list[tuple[float, dict[str, str]]]:
        grams = [g for g in ngrams(text) if g.isalnum()]
        if not grams:
            return []
        with self._open() as db:
            rare = _rarest(db, table, grams)
            if not rare:
                return []
            query = " OR ".join(f'"{g}"' for g in rare)
            rows = db.execute(
                f"SELECT -bm25({table}), {', '.join('d.' + c for c in _COLUMNS)} "  # noqa: S608
                f"FROM {table} JOIN drafts d ON d.rowid = {table}.rowid "
                f"WHERE {table} MATCH ? ORDER BY bm25({table}) LIMIT ?",
                (query, limit),
            ).fetchall()
        return [(float(r[0]), dict(zip(_COLUMNS, r[1:], strict=True))) for r in rows]


def _insert(
    db: sqlite3.Connection, key: str, signature: tuple[int, int, int], values: dict[str, str]
) -> int:
    cursor = db.execute(
        f"INSERT INTO drafts (path, size, mtime, inode, {', '.join(_COLUMNS)}) "
        f"VALUES (?, ?, ?, ?, {', '.join('?' * len(_COLUMNS))})",
        (key, *signature, *(values[name] for name in _COLUMNS)),
    )
    return int(cursor.lastrowid or 0)


def _add(db: sqlite3.Connection, key: str, signature: tuple[int, int, int], entry: Entry) -> None:
    """An entry's row, and its n-grams for the searches it takes part in."""
    from pipeline.check import acronyms_kept
    from pipeline.suggest import term_sets

    values = {name: getattr(entry, name, "") for name in _COLUMNS if name != "problem"}
    values |= {"tags": " ".join(entry.tags), "status": str(entry.status), "problem": ""}
    if entry.comment_ko.strip() and entry.comment_en.strip():
        ko, en = term_sets(entry.comment_ko, entry.comment_en)
        values |= {"ko_terms": "\t".join(sorted(ko)), "en_terms": "\t".join(sorted(en))}
    row = _insert(db, key, signature, values)
    if is_example(entry):
        db.execute(
            "INSERT INTO pairs (rowid, grams) VALUES (?, ?)", (row, grams_text(entry.comment_ko))
        )
        db.executemany(
            "INSERT INTO acronyms (draft, word, kept) VALUES (?, ?, ?)",
            [
                (row, word, int(kept))
                for word, kept in acronyms_kept(entry.comment_ko, entry.comment_en).items()
            ],
        )
    if entry.tags:
        paper = grams_text(f"{entry.title} {entry.abstract}")
        db.execute("INSERT INTO papers (rowid, grams) VALUES (?, ?)", (row, paper))


def _rarest(db: sqlite3.Connection, table: str, grams: list[str]) -> list[str]:
    """The query's n-grams that the history has, at most _MAX_QUERY_GRAMS of them, the rarest
    in the history first: they tell one comment from another, and a long comment stays cheap."""
    distinct = sorted(set(grams))
    found: dict[str, int] = {}
    for start in range(0, len(distinct), 500):  # SQLite's limit on bound parameters
        chunk = distinct[start : start + 500]
        found.update(
            db.execute(
                f"SELECT term, doc FROM {table}_terms WHERE term IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
        )
    return sorted(found, key=lambda g: (found[g], g))[:_MAX_QUERY_GRAMS]


def _tags(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row["tags"].split())


def _entry(row: dict[str, str]) -> Entry:
    return Entry(
        id=row["id"],
        date=row["date"],
        title=row["title"],
        authors=[],
        abstract=row["abstract"],
        comment_ko=row["comment_ko"],
        machine_en=row["machine_en"],
        comment_en=row["comment_en"],
        tags=row["tags"].split(),
        status=Status(row["status"]),
        source=row["source"],
    )
