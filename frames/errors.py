"""The one exception the ``frames`` package raises for bad bytes."""


class FrameError(ValueError):
    """Bytes that are not a valid frame of the format asked for.

    The message says what is wrong and at which byte offset, e.g.
    ``"AX.25: address field not terminated within 10 addresses (70 bytes)"``.
    """
