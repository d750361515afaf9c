"""Optional libraries (the ``formats`` extra and others), imported where a
file or format first needs them, so the light install reads TIFF, PNG and
JPEG without them."""

from __future__ import annotations

import importlib


def needs(module: str, extra: str = "formats"):
    """Import an optional library, or say how to install it (a ``ValueError``)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ValueError(f"this format needs {module.split('.')[0]}: pip install 'label-assistant[{extra}]'") from None


__all__ = ["needs"]
