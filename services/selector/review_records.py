"""Reviewers' verdicts on label versions: part of the selector's store."""

from __future__ import annotations

import time
from collections.abc import Mapping

import sqlalchemy as sa

from labelassist.runtime.errors import ConflictError, NotFoundError
from labelassist.selector import class_stamps
from labelassist.selector.schema import reviews

VERDICTS = ("accepted", "rejected")


class ReviewRecords:
    """Review methods of :class:`~labelassist.selector.store.Store` (which
    provides ``engine``, ``reader``, ``sample``, ``latest_versions`` and the
    project lock)."""

    def review_label(self, sample_id: int, reviewer: str, verdict: str, comment: str = "", version: int = 0
                     ) -> dict:
        """Record a reviewer's verdict ("accepted" or "rejected") on a label
        version (0: the newest); the review as stored."""
        if verdict not in VERDICTS:
            raise ValueError(f"'verdict' must be one of {', '.join(VERDICTS)}; got {verdict!r}")
        if len(comment) > 1000:
            raise ValueError(f"'comment' has {len(comment)} characters; at most 1000")
        newest = self.latest_versions([sample_id]).get(sample_id)
        if newest is None:
            raise ConflictError(f"sample {sample_id} has no label to review yet")
        version = version or newest
        if not 1 <= version <= newest:
            raise NotFoundError(f"sample {sample_id} has label versions 1 to {newest}, not {version}")
        review = {"sample_id": sample_id, "version": version, "reviewer": reviewer, "verdict": verdict,
                  "comment": comment, "created_at": time.time()}
        project_id = self.sample(sample_id).project_id
        with self.engine.begin() as connection:
            self.lock_project(connection, project_id)
            self._require_sample(connection, sample_id)  # not deleted meanwhile
            connection.execute(reviews.insert().values(**review))
            class_stamps.moved(connection, project_id)  # a rejected label leaves the class model's training
        return review

    def latest_reviews(self, newest: Mapping[int, int]) -> dict[int, dict]:
        """The newest review of each sample's newest label version, given
        ``latest_versions`` of one page of samples (a label stored after a
        review has none)."""
        if not newest:
            return {}
        with self.reader.connect() as connection:
            rows = connection.execute(sa.select(reviews).where(reviews.c.sample_id.in_(list(newest)))
                                      .order_by(reviews.c.id)).all()
        return {row.sample_id: row._asdict() for row in rows if row.version == newest.get(row.sample_id)}
