"""What the history says: reviews of the model's English against his, tags, glossary ideas."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from pipeline.entry import Entry
from pipeline.errors import (
    InputError,
)
from pipeline.services import Services

if TYPE_CHECKING:
    from pipeline.review import PeriodReview, Review


class Reports(Services):
    """Reviews, the tag vocabulary and glossary suggestions, from the drafts as they are."""

    # -- reviews, tags, suggestions: what the history says -------------------------------------
    def review(self, entries: list[Entry], against: str, title: str) -> tuple[list[Review], str]:
        """Each entry's diff and edit rate, and the page that shows them."""
        from pipeline.review import render_html_page, review_entry

        reviews = [review_entry(e, against) for e in entries]
        return reviews, render_html_page(reviews, f"Review of {title}")

    def model_use(self, entries: list[Entry]) -> str | None:
        """What the entries' model requests used (recorded in each draft) and its estimated
        cost, in one line; None when none is recorded."""
        from pipeline.usage import by_model, load_prices, usage_line

        usage = by_model(e.usage for e in entries)
        return usage_line(usage, load_prices(self.settings.prices_file)) if usage else None

    def review_period(self, since: str) -> tuple[PeriodReview, str]:
        """The edit rate per day from `since` on, with his usual replacements, and its page."""
        from pipeline.review import period_review, render_period_html

        self.history.sync(every_file=True)  # a report on the history itself: every file
        entries = self.history.entries()
        if not entries:  # nothing anywhere: say where it looked
            raise self.store.no_drafts(since, "digest review --since {date}")
        period = period_review(entries, since)
        return period, render_period_html(period)

    def tag_counts(self) -> Counter[str]:
        self.history.sync(every_file=True)  # a report on the history itself: every file
        counts = self.history.tag_counts()
        if not counts:
            raise InputError(f"no tagged drafts in {self.store.root}")
        return counts

    def glossary_suggestions(self, min_notes: int) -> str:
        """Glossary lines mined from history, as YAML to paste (the glossary is not changed)."""
        from pipeline.review import hand_replacements
        from pipeline.suggest import mine_term_sets, suggestions_yaml

        self.history.sync(every_file=True)  # a report on the history itself: every file
        entries = self.history.entries()
        if not entries:
            raise InputError(
                f"no drafts in {self.store.root} to learn from; import your history first"
            )
        # each draft's stems and terms come from the history, taken apart once
        terms = mine_term_sets(self.history.term_sets(), self.glossary, min_notes)
        return suggestions_yaml(terms, hand_replacements(entries))
