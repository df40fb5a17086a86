"""Read models: pure `rows_for(event, position)` functions and the runner that applies them."""

from __future__ import annotations

from typing import Any

Row = tuple[str, tuple[Any, ...]]
"""One SQL statement and its parameters, applied by the projection runner."""
