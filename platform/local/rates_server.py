"""The local rates API: `GET /rates?date=YYYY-MM-DD` answers like a real, imperfect API.

A share of requests gets a 503 and a share answers slowly, as production APIs do; both
rates are settable so tests can make the API healthy, flaky or down.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from data_platform.simulator.rates import rates_for


def make_server(
    host: str, port: int, seed: int = 7, error_rate: float = 0.1,
    slow_rate: float = 0.05, slow_seconds: float = 1.5,
) -> ThreadingHTTPServer:  # fmt: skip
    chaos = random.Random(seed)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/health":
                return self._json(200, {"status": "ok"})
            if url.path != "/rates":
                return self._json(404, {"error": f"no such path: {url.path}"})
            try:
                day = date.fromisoformat(parse_qs(url.query)["date"][0])
            except (KeyError, ValueError):
                return self._json(400, {"error": "query parameter date=YYYY-MM-DD is required"})
            roll = chaos.random()
            if roll < error_rate:
                return self._json(503, {"error": "service unavailable, try again"})
            if roll < error_rate + slow_rate:
                time.sleep(slow_seconds)
            body = {"date": day.isoformat(), "base": "USD", "rates": rates_for(day, seed)}
            return self._json(200, body)

        def _json(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per request would fill the log; errors still reach stderr

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--error-rate", type=float, default=0.1)
    parser.add_argument("--slow-rate", type=float, default=0.05)
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, args.seed, args.error_rate, args.slow_rate)
    server.serve_forever()


if __name__ == "__main__":
    main()
