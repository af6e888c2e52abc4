"""docbuild: build clinic patient information into a printable PDF and an EPUB 3."""
from __future__ import annotations

__version__ = "0.1.0"
