"""Errors of the strategy builders: a package that cannot be built as asked.

    InvalidValue (engine.errors)
    └── InvalidStrategy          names the field (strikes, expiry, qty, underlying...) and rule
        ├── NotListed            a leg's instrument is not listed on the venue
        └── UnmappedUnderlying   no hedge asset is mapped for the underlying
"""

from __future__ import annotations

from engine.errors import InvalidValue


class InvalidStrategy(InvalidValue):
    """A strategy could not be built: `field` names the input, `reason` the rule it broke."""


class NotListed(InvalidStrategy):
    """A leg's instrument is not listed on the venue (so no order could be sent for it)."""


class UnmappedUnderlying(InvalidStrategy):
    """A spot hedge was asked for an underlying the hedge asset map does not name."""
