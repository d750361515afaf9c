"""Reading a paged List call to its end (AIP-158 style page tokens)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def all_pages(call: Callable[[Any], Any], request: Any, field: str) -> Iterator[Any]:
    """Every item of ``field`` over all pages: ``call(request)`` is repeated
    with each response's ``next_page_token`` until it is empty."""
    while True:
        response = call(request)
        yield from getattr(response, field)
        if not response.next_page_token:
            return
        request.page_token = response.next_page_token
