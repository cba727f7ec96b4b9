"""Links to the case list (``/cases``): every number opens the cases behind it.

The spec is :class:`measures.cases.CaseSpec`; :func:`href` writes it into the list's URL, so
any screen can link a number to its cases without importing the case-list screen.
"""

from __future__ import annotations

from urllib.parse import urlencode

from measures.cases import CaseSpec

#: The case list's path.
CASES_PATH = "/cases"


def href(spec: CaseSpec, lang: str) -> str:
    """The case list's URL for ``spec`` in ``lang``."""
    return f"{CASES_PATH}?" + urlencode({"lang": lang, **spec.to_params()}, safe=",:")
