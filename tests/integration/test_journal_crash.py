"""Crash safety of the journal, tested by killing a writer process with SIGKILL mid-stream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from engine.journal import Journal, JournalConfig
from engine.model import OrderFilled

pytestmark = pytest.mark.integration

# The writer journals orders and fills as fast as it can and reports each event only after
# `append` has returned, i.e. after the commit: those are the events a caller may have acted on.
WRITER = textwrap.dedent("""
    import sys
    from decimal import Decimal
    sys.path.insert(0, sys.argv[2])
    from factories import accepted, filled, new_order
    from engine.journal import Journal, JournalConfig

    journal = Journal(JournalConfig(url=sys.argv[1]))
    for n in range(100_000):
        order = new_order(n)
        for event in (journal.record_new_order(order), accepted(order),
                      filled(order, "0.5", trade=f"a{n}"), filled(order, "1.5", trade=f"b{n}")):
            if event.event_id.endswith("/created"):
                print(event.event_id, flush=True)
                continue
            journal.append(event)
            print(event.event_id, flush=True)
""")


def test_journal_when_writer_is_killed_then_every_acknowledged_event_survives_and_replays(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    tests_dir = str(Path(__file__).resolve().parent.parent)
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, url, tests_dir], stdout=subprocess.PIPE, text=True,
    ) as writer:
        assert writer.stdout is not None
        acknowledged = [writer.stdout.readline().strip() for _ in range(203)]  # mid-order
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL

    journal = Journal(JournalConfig(url=url))
    journaled = {event.event_id for _, event in journal.events()}
    assert set(acknowledged) <= journaled
    assert journal.projections() == journal.replay()
    # No half-written order: every journaled order's projection matches its events.
    for order in journal.replay().orders.values():
        fills = [e.fill.qty for _, e in journal.events()
                 if isinstance(e, OrderFilled) and e.client_order_id == order.client_order_id]
        assert order.filled_qty == sum(fills, Decimal(0))
    journal.close()
