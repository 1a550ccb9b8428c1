"""The rates API resource against real HTTP servers: healthy, flaky, down and wrong."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from data_platform.local.processes import free_port
from data_platform.local.rates_server import make_server
from data_platform.resources.rates_api import RatesApiError, RatesApiResource
from data_platform.simulator.rates import rates_for

DAY = date(2026, 1, 5)


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_local_stack_api(stack_env: dict[str, str]) -> None:
    api = RatesApiResource(url=stack_env["PLATFORM_RATES_API_URL"], backoff_seconds=0.01, max_attempts=10)
    assert api.get_rates(DAY) == rates_for(DAY)


def test_flaky_api_is_retried() -> None:
    with serving(make_server("127.0.0.1", free_port(), error_rate=0.6, slow_rate=0.0)) as url:
        api = RatesApiResource(url=url, backoff_seconds=0.001, max_attempts=30)
        assert [api.get_rates(DAY)["KRW"] for _ in range(5)] == [rates_for(DAY)["KRW"]] * 5


def test_down_api_fails_clearly_after_retries() -> None:
    with serving(make_server("127.0.0.1", free_port(), error_rate=1.0)) as url:
        api = RatesApiResource(url=url, backoff_seconds=0.001, max_attempts=3)
        with pytest.raises(RatesApiError, match=rf"rates for 2026-01-05 from {url}/rates failed after 3 attempts: HTTP 503"):
            api.get_rates(DAY)


def test_unreachable_api_names_date_and_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    api = RatesApiResource(url=url, backoff_seconds=0.001, max_attempts=2)
    with pytest.raises(RatesApiError, match=r"2026-01-05 .*failed after 2 attempts: ConnectionError"):
        api.get_rates(DAY)


def test_slow_api_times_out_then_retries() -> None:
    with serving(make_server("127.0.0.1", free_port(), error_rate=0.0, slow_rate=1.0, slow_seconds=0.5)) as url:
        api = RatesApiResource(url=url, timeout_seconds=0.1, backoff_seconds=0.001, max_attempts=2)
        with pytest.raises(RatesApiError, match="ReadTimeout"):
            api.get_rates(DAY)


class HtmlHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>Gateway login</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_html_instead_of_json_is_a_clear_error() -> None:
    with serving(ThreadingHTTPServer(("127.0.0.1", free_port()), HtmlHandler)) as url:
        api = RatesApiResource(url=url, max_attempts=1)
        with pytest.raises(RatesApiError, match=r"answered non-JSON \(text/html\)"):
            api.get_rates(DAY)
