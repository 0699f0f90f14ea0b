"""`crossbook strategy` as a user runs it (a real subprocess) against a paper options venue:
the preview's JSON contract, a package sent and completed with zero residual, and exit codes
for refusals and usage errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from engine.strategies._paper import friday_expiries

from cli import crossbook

pytestmark = pytest.mark.integration


def _paper(tmp_path: Path) -> tuple[Path, str]:
    near = friday_expiries(time.time_ns(), (30,))[0]
    config = tmp_path / "paper.toml"
    config.write_text(f'expiries = ["{near}"]\nindex = "100000"\n'
                      'strikes = ["80000", "90000", "100000", "110000", "120000"]\n'
                      '[collateral]\nBTC = "10"\nUSDT = "500000"\n')
    return config, near


def _args(tmp_path: Path) -> list[str]:
    return ["--journal-url", f"sqlite:///{tmp_path / 'journal.sqlite'}",
            "--list-store", f"sqlite:///{tmp_path / 'lists.sqlite'}"]


def test_iron_condor_preview_when_json_then_contract_fields_and_nothing_sent(
        tmp_path: Path) -> None:
    config, near = _paper(tmp_path)
    run = crossbook("strategy", "iron-condor", "--expiry", near, "--strikes",
                    "80000,90000,110000,120000", "--qty", "2", "--venue", str(config), "--json",
                    *_args(tmp_path))
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert set(doc) == {"strategy", "venue", "hedge_venue", "index_price", "legs", "net_premium",
                        "greeks", "margin", "executable", "group_id", "sent", "execution"}
    assert doc["strategy"] == {"kind": "iron_condor", "label": "iron condor",
                               "underlying": "BTC", "side": "buy", "qty": "2"}
    assert [(leg["instrument"], leg["side"], leg["qty"]) for leg in doc["legs"]] == [
        (f"BTC-{near}-80000-P", "buy", "2"), (f"BTC-{near}-90000-P", "sell", "2"),
        (f"BTC-{near}-110000-C", "sell", "2"), (f"BTC-{near}-120000-C", "buy", "2")]
    assert set(doc["legs"][0]) >= {"bid", "ask", "mark", "iv", "price", "premium_coin",
                                   "greeks", "venue"}
    assert doc["net_premium"]["direction"] == "credit" and doc["net_premium"]["asset"] == "BTC"
    assert set(doc["greeks"]) == {"delta", "gamma", "vega", "theta"}
    assert set(doc["margin"]) == {"before", "after", "change_usd"}
    assert set(doc["margin"]["after"]) == {"initial_usd", "maintenance_usd", "equity_usd",
                                           "utilisation"}
    assert doc["sent"] is False and doc["execution"] is None  # --json without --yes


def test_hedged_straddle_when_yes_then_sent_completed_with_zero_residual(tmp_path: Path) -> None:
    config, near = _paper(tmp_path)
    run = crossbook("strategy", "straddle", "--expiry", near, "--strikes", "110000", "--qty",
                    "1", "--hedge", "spot", "--venue", str(config), "--yes", "--json",
                    "--group-id", "strad-cli-1", *_args(tmp_path))
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["strategy"]["label"] == "delta-hedged straddle"
    hedge = doc["legs"][-1]
    assert (hedge["role"], hedge["instrument"], hedge["venue"]) == ("hedge", "BTC/USDT",
                                                                     "binance")
    assert doc["sent"] is True
    assert doc["execution"]["state"] == "completed" and doc["execution"]["residual"] == {}
    assert doc["execution"]["leg_filled"] == ["1", "1", hedge["qty"]]


def test_table_when_dry_run_then_legs_premium_greeks_and_margin_shown(tmp_path: Path) -> None:
    config, near = _paper(tmp_path)
    run = crossbook("strategy", "vertical", "--right", "call", "--direction", "bear",
                    "--expiry", near, "--strikes", "100000,110000", "--qty", "1", "--venue",
                    str(config), "--dry-run", *_args(tmp_path))
    assert run.returncode == 0, run.stderr
    for text in (f"BTC-{near}-100000-C", "bear call vertical", "net premium", "delta",
                 "maintenance margin", "utilisation"):
        assert text in run.stdout


def test_strategy_when_strikes_break_a_rule_then_exit_1_naming_the_field(tmp_path: Path) -> None:
    config, near = _paper(tmp_path)
    run = crossbook("strategy", "iron-condor", "--expiry", near, "--strikes",
                    "80000,90000,120000,110000", "--qty", "1", "--venue", str(config),
                    "--dry-run", *_args(tmp_path))
    assert run.returncode == 1 and "strikes: must be strictly ascending" in run.stderr
    unlisted = crossbook("strategy", "straddle", "--expiry", near, "--strikes", "101000",
                         "--qty", "1", "--venue", str(config), "--dry-run", *_args(tmp_path))
    assert unlisted.returncode == 1 and "is not listed" in unlisted.stderr
    bad_venue = crossbook("strategy", "straddle", "--expiry", near, "--strikes", "100000",
                          "--qty", "1", "--venue", "ftp://nowhere", "--dry-run")
    assert bad_venue.returncode == 2 and "--venue" in bad_venue.stderr
