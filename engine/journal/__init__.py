"""The write-ahead order journal: an append-only event log and the projections it implies.

`Journal.append` commits an event together with its effect on orders, fills, positions and
balances, and returns only once that is durable; `Journal.replay` recomputes those projections
from the log alone. SQLite in WAL mode is the default store; a PostgreSQL URL uses the same code
and schema.

Beside the order log, `Journal.append_audit` keeps an append-only table of audit records
(compliance screening decisions), which never touch the projections.
"""

from engine.journal._journal import AuditRecord, Journal
from engine.journal._projections import Effects, FillRecord, Projections, effects_of
from engine.journal._store import JournalConfig

__all__ = [
    "AuditRecord",
    "Effects",
    "FillRecord",
    "Journal",
    "JournalConfig",
    "Projections",
    "effects_of",
]
