"""``HOST:PORT`` options of the network clients (rtl_tcp, rigctld).

>>> parse_host_port("127.0.0.1:4532", "--rigctl")
('127.0.0.1', 4532)
>>> parse_host_port("localhost", "--rigctl", default_port=4532)
('localhost', 4532)
>>> parse_host_port("[::1]:1234", "--rtl-tcp")
('::1', 1234)
"""

from __future__ import annotations

from hardware.errors import HardwareError


def parse_host_port(text: str, option: str, default_port: int | None = None) -> tuple[str, int]:
    """Split ``HOST:PORT`` (``[V6]:PORT`` for IPv6); a missing port is ``default_port``."""
    text = text.strip()
    host, port_text = text, None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else None
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if port_text is None:
        if default_port is None:
            raise HardwareError(f"{option}: {text!r} has no port; give HOST:PORT, e.g. 127.0.0.1:1234")
        return host, default_port
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not host or not 0 < port < 65536:
        raise HardwareError(f"{option}: {text!r} is not HOST:PORT with a port from 1 to 65535")
    return host, port
