"""Turn a named strategy into an order over the samples available to lease."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelassist.selector.scoring import SCORE_NAMES
from labelassist.selector.store import SampleRow
from labelassist.selector.strategies import STRATEGIES


def features(rows: Sequence[SampleRow]) -> np.ndarray | None:
    """The rows' image features as an (N, D) array, or None if any is missing."""
    if not rows or any(row.features is None for row in rows):
        return None if rows else np.zeros((0, 0), np.float32)
    return np.stack([np.frombuffer(row.features, dtype=np.float32) for row in rows])


def rank_samples(
    strategy: str,
    parameters: Mapping[str, Any],
    candidates: Sequence[SampleRow],
    taken: Sequence[SampleRow] = (),
    model_scores: Mapping[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[SampleRow]:
    """Candidates best first. ``taken`` are the project's labelled or leased
    samples: sequence-aware picking continues the round they started.
    ``model_scores`` (sample id -> scores, embedding) from the served model
    feed the uncertainty strategies; model-based strategies rank only the
    candidates the model has scored."""
    entry = STRATEGIES.get(strategy)
    values = entry.bind(parameters)
    score_table = None
    embeddings, taken_embeddings = features(candidates), features(taken)
    if model_scores:
        scored = [row for row in candidates if row.id in model_scores]
        if scored and entry.family in ("uncertainty", "diversity") and strategy != "coreset":
            candidates = scored
            table = np.stack([model_scores[row.id][0] for row in candidates])
            score_table = {name: table[:, i] for i, name in enumerate(SCORE_NAMES)}
            embeddings = np.stack([model_scores[row.id][1] for row in candidates])
            taken_embeddings = None  # image features and model embeddings do not mix
    positions = np.array([row.position for row in candidates])
    sequences = np.array([row.sequence or row.stem for row in candidates], dtype=object)
    taken_sequences = np.array([row.sequence or row.stem for row in taken], dtype=object)
    order = entry.function(positions, len(candidates), sequences=sequences, taken_sequences=taken_sequences,
                           embeddings=embeddings, taken_embeddings=taken_embeddings, score_table=score_table, **values)
    by_position = {row.position: row for row in candidates}
    return [by_position[int(position)] for position in order]
