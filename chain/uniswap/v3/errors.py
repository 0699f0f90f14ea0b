"""Errors raised by the V3 math and swap simulator; all terminal (the same input fails again).

    TerminalChainError                 (chain.errors)
    └── UniswapV3Error
        ├── MathOverflow               the contract's arithmetic would revert here
        ├── InvalidSwap                the pool would reject these swap arguments
        ├── InvalidPoolState           the pool state given is not one a pool can be in
        └── StateWindowExceeded        the swap needs bitmap words the state does not cover
"""

from __future__ import annotations

from chain.errors import TerminalChainError


class UniswapV3Error(TerminalChainError):
    """Root of the errors of `chain.uniswap.v3`."""


class MathOverflow(UniswapV3Error):
    """A value left the range of its Solidity type, or a `require` of a math library failed
    (division by zero, removing more than the reserves hold): the contract would revert."""


class InvalidSwap(UniswapV3Error):
    """The pool would revert this swap (zero amount, price limit on the wrong side, ...)."""


class InvalidPoolState(UniswapV3Error):
    """The state cannot belong to a V3 pool (a tick off the spacing, a value out of range)."""


class StateWindowExceeded(UniswapV3Error):
    """The swap reaches ticks outside the bitmap words the cached state covers."""
