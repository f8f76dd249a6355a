"""Build AX.25 beacon frames, write them as a KISS file, and read them back.

Run: python examples/kiss_roundtrip.py [OUT.kiss]
Without OUT.kiss the file goes to a temporary folder that is removed at the end.
"""

import sys
import tempfile
from pathlib import Path

from frames import Ax25Frame, KissDeframer, encode_data_frame


def main(out_path: Path) -> list[str]:
    frames = [Ax25Frame.ui("N0CALL-1", "BEACON", f"T#{n:03d}".encode()) for n in range(3)]
    out_path.write_bytes(b"".join(encode_data_frame(frame.to_bytes()) for frame in frames))
    deframer = KissDeframer()
    return [Ax25Frame.from_bytes(kiss.data).tnc2() for kiss in deframer.feed(out_path.read_bytes())]


if __name__ == "__main__":
    if len(sys.argv) > 1:
        lines = main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory(prefix="groundstation-example-") as folder:
            lines = main(Path(folder) / "beacons.kiss")
    for line in lines:
        print(line)
