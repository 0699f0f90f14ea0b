"""The write-ahead order journal: an append-only event log and the projections it implies.

`Journal.append` commits an event together with its effect on orders, fills, positions and
balances; `Journal.replay` recomputes those projections from the log alone. SQLite in WAL mode
is the default store; a PostgreSQL URL uses the same code and schema.
"""

from engine.journal._journal import Journal, JournalConfig
from engine.journal._projections import Effects, FillRecord, Projections, effects_of

__all__ = ["Effects", "FillRecord", "Journal", "JournalConfig", "Projections", "effects_of"]
