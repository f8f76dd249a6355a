"""The waterfall PNG: a picture for people. Newer clients put the ``.dat`` header in a text chunk
``satnogs:wf-dat`` (JSON, every value as text) and the plot's geometry in ``satnogs:wf-plot``.

The picture itself (viridis colours between levels that are not stored, rows
merged to the image height) cannot give calibrated spectra, so ``check``
reads only the header from it.

>>> import os, tempfile, json
>>> from PIL import Image, PngImagePlugin
>>> info = PngImagePlugin.PngInfo()
>>> info.add_text("satnogs:wf-dat", json.dumps({"timestamp": "2024-06-12T14:22:00.250000Z", "nchan": "1024",
...     "samp_rate": "48000", "nfft_per_row": "5", "center_freq": "435000000.0", "endianness": "1"}))
>>> path = os.path.join(tempfile.mkdtemp(), "waterfall.png")
>>> Image.new("RGB", (4, 4)).save(path, pnginfo=info)
>>> header = read_png_header(path)
>>> header.channels, header.rate_sps, header.centre_hz, header.start.isoformat()
(1024, 48000.0, 435000000.0, '2024-06-12T14:22:00.250000+00:00')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from groundstation.errors import UserError
from groundstation.timefmt import parse_utc
from groundstation.validation import check_number, json_object

TEXT_KEY = "satnogs:wf-dat"


@dataclass(frozen=True)
class PngHeader:
    start: datetime
    channels: int
    rate_sps: float
    ffts_per_row: int
    centre_hz: float


def read_png_header(path: str) -> PngHeader | None:
    """The ``satnogs:wf-dat`` header of a waterfall PNG, or None for an older PNG without it."""
    try:
        from PIL import Image
    except ImportError:
        raise UserError(f"{path}: reading a PNG needs Pillow (it comes with matplotlib)") from None
    try:
        with Image.open(path) as image:
            if image.format != "PNG":
                raise UserError(f"{path}: not a PNG ({image.format})")
            text = image.info.get(TEXT_KEY)
    except (OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise UserError(f"{path}: not a readable PNG ({error})") from None
    if text is None:
        return None
    fields = json_object(text, f"{path}: the {TEXT_KEY} text")
    where = f"{path}: {TEXT_KEY}"
    return PngHeader(
        parse_utc(str(fields.get("timestamp")), f"{where} timestamp"),
        check_number(fields.get("nchan"), f"{where} nchan", 16, 1 << 16, integer=True),
        check_number(fields.get("samp_rate"), f"{where} samp_rate", 1e3, 10e6, "S/s"),
        check_number(fields.get("nfft_per_row"), f"{where} nfft_per_row", 1, 100_000, integer=True),
        check_number(fields.get("center_freq"), f"{where} center_freq", 0, 300e9, "Hz"),
    )
