"""Uniswap math ported to Python integers, bit-exact with the deployed contracts."""

from chain.uniswap.v2 import get_amount_in, get_amount_out

__all__ = ["get_amount_in", "get_amount_out"]
