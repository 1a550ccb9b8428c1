"""Slack: an incoming webhook that incident reports are posted to.

The webhook's URL is its credential, so it reaches the resource as `EnvVar(
"PLATFORM_SLACK_WEBHOOK_URL")` (the UI shows the variable's name) and is redacted from
every message. Without a URL, posting is off and nothing fails.
"""

from __future__ import annotations

import requests
from dagster import ConfigurableResource
from pydantic import Field


class SlackWebhookResource(ConfigurableResource):
    """Posts plain-text messages to one Slack incoming webhook."""

    url: str | None = Field(default=None, description="The incoming webhook URL; unset switches posting off.")
    timeout_seconds: float = 10

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def post(self, text: str) -> None:
        """Post `text`; raises `requests.RequestException` when Slack does not take it."""
        if self.url:
            requests.post(self.url, json={"text": text}, timeout=self.timeout_seconds).raise_for_status()
