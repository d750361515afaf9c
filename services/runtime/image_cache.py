"""Sample images that a service fetched from the selector, kept by their
content digest so that ten clicks on one sample fetch its image once.

The key is the digest the selector stores the image under (SHA-256 over
dtype, shape and bytes), never the sample id alone: a cached image can
only ever be the sample's own. The caller still asks the selector for the
sample's description on every call, so the selector checks the caller's
roles each time; only the image's bytes are saved."""

from __future__ import annotations

import numpy as np

from labelassist.runtime.bounded_cache import BoundedCache

DEFAULT_MIB = 512


class ImageCache(BoundedCache[np.ndarray]):
    """Sample images by digest; each kept read-only, so no caller can change
    what the next one is given."""

    def put(self, digest: str, image: np.ndarray) -> np.ndarray:
        """Keep ``image`` under ``digest``; returns it read-only."""
        image.flags.writeable = False
        return super().put(digest, image)

    def add_gauges(self, metrics, service: str) -> None:
        """Hits, misses and bytes held, on the service's metrics endpoint."""
        self.add_named_gauges(metrics, f"labelassist_{service}_image_cache", "sample images")
