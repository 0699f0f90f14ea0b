"""A small synchronous client of the local API server (what the CLI uses).

The URL comes from the caller or CROSSBOOK_API_URL; the key only from CROSSBOOK_API_KEY (never
an argument: it would land in shell history and process lists).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from engine.errors import InvalidValue, VenueUnreachable

DEFAULT_URL = "http://127.0.0.1:8780"
KEY_ENV = "CROSSBOOK_API_KEY"
URL_ENV = "CROSSBOOK_API_URL"


def api_call(method: str, path: str, body: object | None = None, url: str | None = None
             ) -> tuple[int, Any]:
    """(HTTP status, JSON answer). InvalidValue without a key; VenueUnreachable when the
    server does not answer."""
    key = os.environ.get(KEY_ENV)
    if not key:
        raise InvalidValue(KEY_ENV, "set it to an API key (crossbook order new-key)")
    base = url or os.environ.get(URL_ENV) or DEFAULT_URL
    if not base.startswith(("http://", "https://")):
        raise InvalidValue("url", f"{base!r} is not an http(s) URL")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method, headers={
        "X-API-Key": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else {}
    except (urllib.error.URLError, OSError) as error:
        raise VenueUnreachable(f"the API server at {base} is not answering ({error}); "
                               "start it with `crossbook order serve`") from None
