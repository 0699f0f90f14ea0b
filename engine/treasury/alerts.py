"""Margin-buffer alerts: a venue holding less than its alert level (requirement x
`collateral.alert_below`) is journaled as an alert and logged, with the top-up that brings it
back to its need (requirement x `collateral.buffer`)."""

from __future__ import annotations

import logging

from engine.treasury.collateral import CollateralNeed
from engine.treasury.journal import AlertRecord, TransferJournal

_log = logging.getLogger("crossbook.treasury.alerts")


def raise_alert(journal: TransferJournal, need: CollateralNeed) -> AlertRecord:
    """Journal and log one venue's margin-buffer alert, with the top-up it proposes."""
    top_up = need.need - need.held
    record = journal.record_alert(need.venue, need.asset, {
        "requirement": str(need.requirement), "need": str(need.need), "held": str(need.held),
        "alert_level": str(need.alert_level), "top_up": str(top_up),
        "ratio": None if need.ratio is None else str(need.ratio),
    })
    _log.warning("treasury alert: %s holds %s %s, under its alert level %s (margin requirement "
                 "%s); top-up of %s proposed to reach its need %s", need.venue, need.held,
                 need.asset, need.alert_level, need.requirement, top_up, need.need)
    return record
