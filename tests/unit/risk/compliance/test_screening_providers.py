"""External screening APIs: answers mapped to reasons; an outage fails closed where configured.

The provider is a real HTTP server on loopback (http.server in a thread) standing in for a
vendor API, which cannot be reached from here; the outage is a loopback port nothing listens on.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from risk.compliance import (
    AddressRole,
    Decision,
    HttpScreeningProvider,
    ListEffect,
    ListStore,
    ProviderPolicy,
    ProviderSource,
    ReasonCode,
    Screener,
    ScreeningRequest,
    parse_list_file,
)
from risk.compliance.errors import ProviderUnavailable

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "ofac"
RISKY, MEDIUM, CLEAN = ("0x" + f"{n:02x}" * 20 for n in (0xEE, 0x33, 0x11))
ANSWERS = {RISKY: ("severe", "sanctioned entity", "indirect"),
           MEDIUM: ("medium", "gambling", "direct"), CLEAN: ("low", "none", "direct")}


class _Vendor(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        results = [{"address": a, "risk_level": ANSWERS[a][0], "category": ANSWERS[a][1],
                    "exposure": ANSWERS[a][2]} for a in body["addresses"] if a in ANSWERS]
        payload = json.dumps({"results": results}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def vendor_url() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Vendor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/screen"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/screen"  # bound then closed: nothing listens there


@pytest.fixture
def loaded(store: ListStore) -> ListStore:
    store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / "sdn_v1.xml"),
               source="fixture")
    return store


def _leg(venue: str, *addresses: str) -> ScreeningRequest:
    return ScreeningRequest.of("leg", venue, [(a, AddressRole.COUNTERPARTY) for a in addresses])


def test_provider_answers_map_to_deny_review_allow(loaded: ListStore, vendor_url: str) -> None:
    source = ProviderSource(HttpScreeningProvider("vendor", vendor_url))
    decision = Screener(loaded, [source]).screen(_leg("binance", RISKY, MEDIUM, CLEAN))
    assert [v.decision for v in decision.verdicts] == [Decision.DENY, Decision.REVIEW,
                                                       Decision.ALLOW]
    assert decision.verdict_for(RISKY).reasons[0].text == \
        "vendor: severe risk, indirect exposure to sanctioned entity"


def test_provider_when_unreachable_then_denies_fail_closed(
    loaded: ListStore, closed_port_url: str
) -> None:
    provider = HttpScreeningProvider("vendor", closed_port_url, timeout_s=2)
    with pytest.raises(ProviderUnavailable, match="vendor"):
        provider.assess([CLEAN])
    decision = Screener(loaded, [ProviderSource(provider)]).screen(_leg("binance", CLEAN))
    assert decision.decision is Decision.DENY
    reason = decision.reasons[0]
    assert reason.code is ReasonCode.PROVIDER_UNAVAILABLE and "fail closed" in reason.text


def test_provider_outage_policy_is_per_venue(loaded: ListStore, closed_port_url: str) -> None:
    policy = ProviderPolicy(venue_on_unavailable={"simex": Decision.REVIEW})
    source = ProviderSource(HttpScreeningProvider("vendor", closed_port_url, timeout_s=2),
                            policy)
    screener = Screener(loaded, [source])
    assert screener.screen(_leg("simex", CLEAN)).decision is Decision.REVIEW
    assert screener.screen(_leg("binance", CLEAN)).decision is Decision.DENY


def test_provider_when_address_missing_from_answer_then_treated_as_outage(
    loaded: ListStore, vendor_url: str
) -> None:
    unknown = "0x" + "99" * 20
    decision = Screener(loaded, [ProviderSource(HttpScreeningProvider("vendor", vendor_url))]
                        ).screen(_leg("binance", unknown))
    assert decision.decision is Decision.DENY
    assert decision.reasons[0].code is ReasonCode.PROVIDER_UNAVAILABLE


def test_provider_repr_never_shows_headers() -> None:
    provider = HttpScreeningProvider("vendor", "http://x", headers={"Token": "s3cret"})
    assert "s3cret" not in repr(provider)
