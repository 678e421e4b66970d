"""Numbers written as the store keeps them.

Oxigraph keeps an ``xsd:integer`` or ``xsd:decimal`` that it can hold as a number (an integer of 64 bits, a
decimal of up to 18 fractional digits) as that number, and writes it back in its own form: ``"007"`` as ``"7"``,
``"52.5500"`` as ``"52.55"``, ``"32.0"`` as ``"32"``.  The build writes its N-Quads file while it loads the store
(:func:`kg.build.build`'s ``nquads``), so it writes its numbers in that form: the file holds the store's text.

    >>> store_form("52.5500", XSD_DECIMAL), store_form("-0.0", XSD_DECIMAL), store_form("007", XSD_INTEGER)
    ('52.55', '0', '7')
    >>> store_form("1.1234567890123456789012", XSD_DECIMAL)   # more digits than the store holds: as written
    '1.1234567890123456789012'
"""
from __future__ import annotations

import re

from .namespaces import XSD

XSD_INTEGER, XSD_DECIMAL = XSD.integer.value, XSD.decimal.value

_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?", re.ASCII)
_FRACTION_DIGITS = 18  # oxigraph's decimal: a 128-bit integer of 10**-18ths


def store_form(lexical: str, datatype: str) -> str:
    """``lexical``, a literal of ``datatype`` (an IRI), as the store writes it back."""
    if datatype == XSD_INTEGER:
        if _INTEGER.fullmatch(lexical) and -2**63 <= (number := int(lexical)) < 2**63:
            return str(number)
    elif datatype == XSD_DECIMAL:
        match = _DECIMAL.fullmatch(lexical)
        if match and (match[2] or match[3]):
            sign, whole, fraction = match[1], match[2].lstrip("0") or "0", (match[3] or "").rstrip("0")
            scaled = int(whole + fraction.ljust(_FRACTION_DIGITS, "0"))
            if len(fraction) <= _FRACTION_DIGITS and scaled < 2**127:
                text = whole + ("." + fraction if fraction else "")
                return "-" + text if sign == "-" and scaled else text
    return lexical
