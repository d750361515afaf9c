"""Agreement between two label images, one definition for training,
inspection, the demo and the benchmarks."""

from __future__ import annotations

import numpy as np


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Foreground Dice coefficient of two label images (Dice 1945).

    Parameters
    ----------
    a, b : ndarray
        Label images of one shape; any id > 0 is foreground.

    Returns
    -------
    float
        2|A∩B| / (|A| + |B|); 1.0 when both are empty.
    """
    a, b = np.asarray(a) > 0, np.asarray(b) > 0
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else float(2 * (a & b).sum() / total)
