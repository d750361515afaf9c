"""What the annotator starts from, begun when the gateway has sent a leased
sample's image: the page asks for the mask only once the image is drawn,
so a pre-label made at that moment would keep the annotator waiting by the
image's trip and drawing as well; begun as the image leaves, it is ready
sooner (or the page joins it).
Each answer is kept for the caller whose lease began it, taken once, and
few are kept: this is a head start, not a cache."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from labelassist.client.sdk import LabelAssistClient

MAX_KEPT = 32  # answers begun and not yet taken; the oldest goes first


class MasksAhead:
    """``begin(client, sample_id, make)`` starts ``make()`` in the
    background; ``take(client, sample_id)`` is its future when the same
    client (the same caller's token) began it, else None."""

    def __init__(self, workers: int = 2, kept: int = MAX_KEPT):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mask-ahead")
        self._kept = kept
        self._futures: OrderedDict[tuple[int, int], tuple[LabelAssistClient, Future]] = OrderedDict()
        self._lock = threading.Lock()

    def begin(self, client: LabelAssistClient, sample_id: int, make: Callable[[], object]) -> None:
        future = self._pool.submit(make)
        with self._lock:
            self._futures[(id(client), sample_id)] = (client, future)
            while len(self._futures) > self._kept:
                self._futures.popitem(last=False)

    def take(self, client: LabelAssistClient, sample_id: int) -> Future | None:
        with self._lock:
            found = self._futures.pop((id(client), sample_id), None)
        # The client is kept with its future: an id is only the same caller while that client lives.
        return found[1] if found is not None and found[0] is client else None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
