"""Turn a named strategy into an order over the samples available to lease."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

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
) -> list[SampleRow]:
    """Candidates best first. ``taken`` are the project's labelled or leased
    samples: sequence-aware picking continues the round they started."""
    entry = STRATEGIES.get(strategy)
    values = entry.bind(parameters)
    positions = np.array([row.position for row in candidates])
    sequences = np.array([row.sequence or row.stem for row in candidates], dtype=object)
    taken_sequences = np.array([row.sequence or row.stem for row in taken], dtype=object)
    order = entry.function(positions, len(candidates), sequences=sequences, taken_sequences=taken_sequences,
                           embeddings=features(candidates), taken_embeddings=features(taken), **values)
    by_position = {row.position: row for row in candidates}
    return [by_position[int(position)] for position in order]
