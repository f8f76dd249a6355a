"""Bytes and samples from the outside world: serial KISS TNCs, rtl_tcp, rigctld.

May import ``frames``; never imports ``groundstation``.
"""
