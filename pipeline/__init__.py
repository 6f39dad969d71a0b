"""digest: a bilingual daily digest of arXiv papers, one Korean comment at a time."""

__version__ = "0.1.0"
