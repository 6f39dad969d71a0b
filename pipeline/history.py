"""Every draft as history: what each one says, searchable, in one SQLite file in the cache folder.

Commands over the whole history (the author's earlier pairs for the prompt, tags, glossary
suggestions, what awaits translation, the trend of the edit rate) read this file instead of
parsing thousands of drafts. It is kept in step with the drafts folder incrementally, parsing only
the files that changed (by size, mtime and inode), and looking only in the day folders that
changed: a draft written, added, removed or renamed changes its folder's mtime (digest writes
every draft by renaming a new file into place, as most editors do). A draft overwritten in place
(some editors) leaves its folder's mtime alone: the commands that report on the history itself
(tags, review --since, glossary suggest, doctor) look at every file (`sync(every_file=True)`).
A command that writes many drafts (an import) keeps the history as it goes (`record`), so that
no later command parses them again. Losing the file costs one rebuild, nothing else.

Similar comments are found with SQLite's full-text index (FTS5, BM25 ranking) over character
2- and 3-grams: cheap, language-agnostic, and good at Korean, where particles break whole-word
matching.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.entry import AWAITING, READY, Entry, Status
from pipeline.errors import EnvironmentFailure, InputError
from pipeline.examples import Example, ngrams
from pipeline.store import Store

SCHEMA_VERSION = 4
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
# Day folders as last synced (their mtime), and narrow indexes for what every sync and `tags`
# read, so that neither scans the wide rows. Added to any existing file as it is opened.
_SCHEMA_FOLDERS = """
CREATE TABLE IF NOT EXISTS folders (path TEXT PRIMARY KEY, mtime INTEGER);
CREATE INDEX IF NOT EXISTS drafts_signature ON drafts (path, size, mtime, inode);
CREATE INDEX IF NOT EXISTS drafts_tags ON drafts (problem, tags, id);
"""
# A folder changed this recently may change again within the same tick of its clock (coarse on
# some file systems) without its mtime moving: it is looked into again next time (as git treats
# "racily clean" files).
_RACY_NS = 2_000_000_000
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
                # a cache, rebuilt if damaged: commits need not wait for the disk (a draft
                # recorded at a time stays cheap)
                db.execute("PRAGMA synchronous = OFF")
                if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                    db.executescript(
                        "DROP TABLE IF EXISTS drafts; DROP TABLE IF EXISTS pairs;"
                        "DROP TABLE IF EXISTS papers; DROP TABLE IF EXISTS pairs_terms;"
                        "DROP TABLE IF EXISTS papers_terms; DROP TABLE IF EXISTS acronyms;"
                        "DROP TABLE IF EXISTS folders;"
                    )
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.executescript(_SCHEMA + _SCHEMA_FOLDERS)
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
    def _open(self, every_file: bool = False) -> Iterator[sqlite3.Connection]:
        """The database, in step with the drafts folder (synced once per run). Any SQLite
        failure is one clear error (exit 4), never a traceback."""
        with self._lock:
            try:
                db = self._connect_or_rebuild()
                if not self._synced:
                    try:
                        self._sync(db, every_file)
                    except sqlite3.DatabaseError as exc:
                        if isinstance(exc, sqlite3.OperationalError) or self.path is None:
                            raise
                        db = self._rebuild()  # damaged inside ("malformed"): it is only a cache
                        self._sync(db, every_file)
                    self._synced = True
                yield db
            except sqlite3.Error as exc:
                raise EnvironmentFailure(
                    f"the history file {self.path} cannot be used ({exc}); "
                    "delete it and it is rebuilt"
                ) from None

    def sync(self, every_file: bool = False) -> None:
        """Bring the history in step with the drafts folder now (else the first query does):
        the day folders that changed, or (`every_file`) every draft file, whatever its folder
        says, for commands that report on the history itself."""
        self._synced = self._synced and not every_file
        with self._open(every_file):
            pass

    def _sync(self, db: sqlite3.Connection, every_file: bool) -> None:
        # One transaction that takes the write lock first: two commands syncing at once take
        # turns, and each sees the other's rows (or none of them), never half.
        db.execute("BEGIN IMMEDIATE")
        try:
            self._update(db, every_file)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _update(self, db: sqlite3.Connection, every_file: bool) -> None:
        assert self.store is not None
        started = time.time_ns()
        if db.execute("SELECT 1 FROM drafts LIMIT 1").fetchone() is None:
            db.execute("DELETE FROM folders")  # no rows (a new or emptied file): look everywhere
        recorded = dict(db.execute("SELECT path, mtime FROM folders").fetchall())
        folders: dict[str, int] = {}
        for day in self.store.days():
            folder = str(self.store.root / day)  # keys as str(Path), as the files' are
            try:
                folders[folder] = os.stat(folder).st_mtime_ns
            except OSError:
                continue
        # The first sync of a file (or every_file) looks at every file and forgets the rows of
        # any file it did not see; later ones, at the folders whose mtime moved.
        everywhere = every_file or not recorded
        known = _signatures(db) if everywhere else None
        seen: set[str] = set()
        for folder, mtime in folders.items():
            if not everywhere and recorded.get(folder) == mtime:
                continue
            seen |= self._sync_folder(db, folder, known)
            trusted = mtime if mtime < started - _RACY_NS else None
            db.execute(
                "INSERT OR REPLACE INTO folders (path, mtime) VALUES (?, ?)", (folder, trusted)
            )
        if known is not None:
            for gone in known.keys() - seen:
                self._forget(db, gone)
        for gone in recorded.keys() - folders.keys():
            for (path,) in db.execute(_IN_FOLDER, _folder_range(gone)).fetchall():
                self._forget(db, path)
            db.execute("DELETE FROM folders WHERE path = ?", (gone,))

    def _sync_folder(
        self, db: sqlite3.Connection, folder: str, known: dict[str, tuple[int, ...]] | None
    ) -> set[str]:
        """Parse the drafts of one day folder that changed; forget those gone (when `known` is
        given, the caller forgets them). Returns the files seen."""
        if known is None:
            here = {
                row[0]: tuple(row[1:])
                for row in db.execute(
                    "SELECT path, size, mtime, inode FROM drafts WHERE path > ? AND path < ?",
                    _folder_range(folder),
                )
            }
        else:
            here = known
        seen: set[str] = set()
        try:
            with os.scandir(folder) as listing:
                files = sorted(
                    (e for e in listing if e.name.endswith(".yaml") and not e.name.startswith(".")),
                    key=lambda e: e.name,
                )
                for file in files:
                    try:
                        stat = file.stat()
                    except OSError:
                        continue
                    signature = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
                    seen.add(file.path)
                    if here.get(file.path) != signature:
                        self._record(db, Path(file.path), signature)
        except OSError:
            pass  # removed meanwhile: its rows go below, or with the next sync
        if known is None:
            for gone in here.keys() - seen:
                self._forget(db, gone)
        return seen

    def record(self, path: Path, entry: Entry) -> None:
        """Put a draft just written at `path` into the history as a sync would, without reading
        the file back: a command that writes many drafts (an import) calls this after each, so
        that no later command parses them again. The history is only a cache: if its file
        cannot be used now, this does nothing, and the next sync finds the draft."""
        with self._lock:
            try:
                db = self._connect_or_rebuild()
                stat = path.stat()
                db.execute("BEGIN IMMEDIATE")
                try:
                    self._forget(db, str(path))
                    _add(db, str(path), (stat.st_size, stat.st_mtime_ns, stat.st_ino), entry)
                    # its folder is looked into by the next sync (if it is gone by then, so are
                    # its rows), which compares signatures and parses nothing recorded here
                    db.execute(
                        "INSERT OR IGNORE INTO folders (path, mtime) VALUES (?, NULL)",
                        (str(path.parent),),
                    )
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except (OSError, sqlite3.Error):
                pass  # not recorded: the next sync reads it

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
        from pipeline.tags import count_tags

        with self._open() as db:
            rows = db.execute(
                "SELECT tags, count(*) FROM drafts WHERE problem = '' AND tags != '' AND id != ? "
                "GROUP BY tags",
                (exclude,),
            ).fetchall()
        return count_tags((tags.split(), int(n)) for tags, n in rows)

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


_IN_FOLDER = "SELECT path FROM drafts WHERE path > ? AND path < ?"


def _folder_range(folder: str) -> tuple[str, str]:
    """The keys of the files in a folder lie between these two (the separator and the next
    character after it)."""
    return folder + os.sep, folder + chr(ord(os.sep) + 1)


def _signatures(db: sqlite3.Connection) -> dict[str, tuple[int, ...]]:
    return {
        row[0]: tuple(row[1:]) for row in db.execute("SELECT path, size, mtime, inode FROM drafts")
    }


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
