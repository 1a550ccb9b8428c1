"""Keep credentials out of error messages, logs and reports."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

from data_platform.resources.settings import SECRET_VARIABLES

# scheme://user:password@host → scheme://user:***@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]+)(?=@)", re.I)
_KEY_VALUE = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<secret>'[^']*'|\S+)", re.I)
# Shorter strings would hide ordinary words; real passwords are longer.
MIN_SECRET_LENGTH = 4
# Secrets that are a whole value rather than a password inside a URL: a webhook's URL is
# its credential, and so is an AWS secret key.
WHOLE_VALUE_SECRETS = ("PLATFORM_SLACK_WEBHOOK_URL", "AWS_SECRET_ACCESS_KEY")


def url_secrets(url: str | None) -> set[str]:
    """The password of a connection URL, as written and decoded (empty when it has none)."""
    if not url:
        return set()
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password is None:  # a URL too malformed to parse: take what sits between ':' and '@'
        match = re.search(r"://[^:/@]*:(.+)@", url)
        password = match.group(1) if match else None
    return {s for s in (password, unquote(password or "")) if s and len(s) >= MIN_SECRET_LENGTH}


def environment_secrets() -> set[str]:
    """Passwords inside the secret variables' URLs and the whole-value secrets, so they are
    hidden wherever they appear."""
    passwords = {secret for name in SECRET_VARIABLES for secret in url_secrets(os.environ.get(name))}
    values = (os.environ.get(name) or "" for name in WHOLE_VALUE_SECRETS)
    return passwords | {value for value in values if len(value) >= MIN_SECRET_LENGTH}


def redact(text: str, url: str | None = None) -> str:
    """Replace passwords with `***`: in connection URLs and `password=` pairs in `text`, and any
    occurrence of `url`'s password or of the passwords in the platform's secret variables
    (an error can quote a password on its own, e.g. psycopg's message about a malformed URL)."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    text = _KEY_VALUE.sub(lambda m: m.group("head") + "***", text)
    for secret in sorted(url_secrets(url) | environment_secrets(), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
