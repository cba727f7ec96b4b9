"""Installation settings read from the environment, with the embedded defaults.

Only this module reads ``ANNING_*`` variables, so every setting has one name and one default.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Where the embedded installation keeps its SQLite file and its secrets.
VAR_DIR = Path(os.environ.get("ANNING_VAR_DIR", REPO_ROOT / "var"))

#: SQLAlchemy URL of the system of record; PostgreSQL follows by URL.
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'anning.sqlite'}"

#: The installation's time zone: times are stored in UTC and shown in this zone.
DEFAULT_TIMEZONE = "Asia/Shanghai"


def database_url() -> str:
    """Return the database URL from ``ANNING_DATABASE_URL`` or the embedded SQLite file."""
    return os.environ.get("ANNING_DATABASE_URL", DEFAULT_DATABASE_URL)


def display_timezone() -> str:
    """Return the IANA time zone in which times are shown (``ANNING_TIMEZONE``)."""
    return os.environ.get("ANNING_TIMEZONE", DEFAULT_TIMEZONE)


def default_language() -> str:
    """Return the interface language shown first: ``zh`` unless ``ANNING_LANGUAGE=en``."""
    lang = os.environ.get("ANNING_LANGUAGE", "zh")
    return lang if lang in ("zh", "en") else "zh"
