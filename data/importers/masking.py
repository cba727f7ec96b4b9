"""Masking of phone and ID numbers inside free text, on the way in.

Summaries (简要案情) are kept, but the numbers that identify a person are replaced by
:data:`MASK` before anything is stored. Full-width digits are folded to ASCII first so that
``１３８００１３８０００`` is caught like ``13800138000``. The patterns prefer masking too much
(any 15- or 18-digit run, any mobile-shaped run) to too little.
"""

from __future__ import annotations

import polars as pl

#: What a masked number is replaced by.
MASK = "***"

_FULL_WIDTH = {chr(0xFF10 + i): str(i) for i in range(10)} | {
    "Ｘ": "X",
    "ｘ": "x",
    "－": "-",
    "（": "(",
    "）": ")",
    "＋": "+",
}
_SEP = r"[- ]?"
_PHONE_WORDS = "电话|手机|手机号|联系方式|联系电话|号码|[Tt][Ee][Ll]"
# One pass, alternatives in order of preference at a position: a number after a phone word
# (whatever its shape: a bare local landline), then the longest numbers first so that an ID is
# not cut into a phone number.
_NUMBERS = "|".join(
    (
        rf"({_PHONE_WORDS})([:：]?\s*)[0-9][0-9 \-]{{3,}}[0-9]",
        r"[0-9]{17}[0-9Xx]",  # 18-digit resident ID (last character may be X)
        r"[0-9]{15}",  # 15-digit resident ID (issued before 1999)
        rf"(?:\+?86{_SEP})?1[3-9][0-9]{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}}",  # mainland mobile
        rf"\(?0[0-9]{{2,3}}\)?{_SEP}[0-9]{{7,8}}",  # landline with area code: 0755-12345678
    )
)


def mask_numbers(text: pl.Series) -> pl.Series:
    """Free text with phone and ID numbers replaced by :data:`MASK`.

    Parameters
    ----------
    text : polars.Series
        Free text (``String``), nulls allowed.

    Returns
    -------
    polars.Series
        The same text with mainland mobile numbers (``1[3-9]`` + 9 digits, optionally with
        ``+86`` and separators), landlines with an area code, numbers following a phone word
        (电话, 手机, 联系方式, Tel) and 15/18-digit ID numbers masked.

    Examples
    --------
    >>> mask_numbers(pl.Series(["电话13800138000，身份证44030619900101123X"])).item()
    '电话***，身份证***'
    """
    folded = text.cast(pl.String).str.replace_many(_FULL_WIDTH)
    return folded.str.replace_all(_NUMBERS, "${1}${2}" + MASK)
