"""userops: a notebook workbook for data-driven customer operations."""
from __future__ import annotations

__all__ = ["__version__"]
__version__ = "0.1.0"
