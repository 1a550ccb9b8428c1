"""Keep credentials out of error messages, logs and reports."""

from __future__ import annotations

import re

# scheme://user:password@host → scheme://user:***@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]+)(?=@)", re.I)
_KEY_VALUE = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<secret>\S+)", re.I)


def redact(text: str) -> str:
    """Replace passwords in connection URLs and `password=` pairs with `***`."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    return _KEY_VALUE.sub(lambda m: m.group("head") + "***", text)
