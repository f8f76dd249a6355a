"""The exception hardware code raises for problems a user can fix (a wrong port, a bad address).

``groundstation`` turns it into its own ``UserError`` (one line, exit code 2),
so the message names what is wrong and what to do.

>>> str(HardwareError("--tnc: 'foo://x' is not a port or a pyserial URL"))
"--tnc: 'foo://x' is not a port or a pyserial URL"
"""


class HardwareError(Exception):
    """A device, port or server that cannot be used as asked; the message is shown as it is."""
