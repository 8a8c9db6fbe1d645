"""A process-wide hook so `govdw run` can show ingest progress from inside an in-process run."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

_listener: Callable[[Any], None] | None = None


def set_listener(listener: Callable[[Any], None] | None) -> None:
    """Register (or clear with None) the function that receives ingest progress events."""
    global _listener
    _listener = listener


def emit(event: Any) -> None:
    """Forward one progress event to the listener, if any; a failing listener never fails a run."""
    if _listener is None:
        return
    # A display problem must not abort the load.
    with contextlib.suppress(Exception):
        _listener(event)
