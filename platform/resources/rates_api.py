"""The exchange-rates HTTP API: retries with backoff, then one clear error."""

from __future__ import annotations

import time
from datetime import date

import requests
from dagster import ConfigurableResource, get_dagster_logger
from pydantic import Field

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class RatesApiError(RuntimeError):
    """The rates API could not give a usable answer for a date."""


class RatesApiResource(ConfigurableResource):
    """`GET /rates?date=YYYY-MM-DD` → `{"date", "base": "USD", "rates": {code: units per USD}}`."""

    url: str = Field(description="base URL of the rates API")
    timeout_seconds: float = Field(default=5.0, description="per-request timeout")
    max_attempts: int = Field(default=5, description="attempts before giving up")
    backoff_seconds: float = Field(default=0.2, description="first retry delay; doubles each retry")

    def get_rates(self, day: date) -> dict[str, float]:
        """Rates for `day` as units of each currency per USD, validated."""
        endpoint = f"{self.url.rstrip('/')}/rates"
        last_error = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = requests.get(
                    endpoint, params={"date": day.isoformat()}, timeout=self.timeout_seconds
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    return _parse(response, day, endpoint)
                last_error = f"HTTP {response.status_code}"
            if attempt < self.max_attempts:
                delay = self.backoff_seconds * 2 ** (attempt - 1)
                get_dagster_logger().warning(
                    f"rates API {endpoint} for {day}: {last_error}; retry {attempt} in {delay:.1f}s"
                )
                time.sleep(delay)
        raise RatesApiError(
            f"rates for {day} from {endpoint} failed after {self.max_attempts} attempts: {last_error}"
        )


def _parse(response: requests.Response, day: date, endpoint: str) -> dict[str, float]:
    where = f"rates API {endpoint} for {day}"
    if response.status_code != 200:
        raise RatesApiError(f"{where} answered HTTP {response.status_code}: {response.text[:200]}")
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "unknown content type")
        raise RatesApiError(f"{where} answered non-JSON ({kind}): {response.text[:100]!r}") from None
    rates = body.get("rates") if isinstance(body, dict) else None
    if body.get("date") != day.isoformat() or body.get("base") != "USD" or not isinstance(rates, dict):
        raise RatesApiError(f"{where} answered an unexpected body: {str(body)[:200]}")
    try:
        parsed = {str(code): float(value) for code, value in rates.items()}
    except (TypeError, ValueError):
        raise RatesApiError(f"{where} answered a non-numeric rate: {rates}") from None
    if any(value <= 0 for value in parsed.values()):
        raise RatesApiError(f"{where} answered a non-positive rate: {rates}")
    return parsed
