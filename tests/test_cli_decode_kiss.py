"""``groundstation decode FILE.kiss``: outputs, and what it does with damaged or missing input."""

import json
import os
import subprocess
import sys

from support import require_program

from frames import FrameError, KissDeframer, encode_data_frame
from frames.pcap import LINKTYPE_AX25_KISS, PCAP_HEADER, PCAP_RECORD

JSONL_KEYS = {"t", "src", "dst", "path", "control", "pid", "info_hex", "info_text", "crc"}


def test_text_output_is_tnc2_lines(run_cli, kiss_file, beacon_frames):
    result = run_cli("decode", kiss_file)
    assert result.code == 0
    assert result.out.splitlines() == [frame.tnc2() for frame in beacon_frames]
    assert result.out.splitlines()[0] == "N0CALL-3>BEACON,WIDE1-1:T#000,batt=7.0V"


def test_jsonl_output_has_the_documented_keys(run_cli, kiss_file, beacon_frames):
    result = run_cli("decode", kiss_file, "--format", "jsonl")
    records = [json.loads(line) for line in result.out.splitlines()]
    assert len(records) == len(beacon_frames)
    first = records[0]
    assert JSONL_KEYS <= set(first)
    assert first["t"] is None and first["crc"] == "none"
    assert (first["src"], first["dst"], first["path"]) == ("N0CALL-3", "BEACON", ["WIDE1-1"])
    assert (first["control"], first["pid"]) == (0x03, 0xF0)
    assert first["info_hex"] == beacon_frames[0].info.hex()
    assert first["info_text"] == "T#000,batt=7.0V"


def test_non_printable_info_has_no_text(run_cli, tmp_path, beacon_frames):
    from frames import Ax25Frame

    path = tmp_path / "binary.kiss"
    path.write_bytes(encode_data_frame(Ax25Frame.ui("N0CALL", "CQ", b"\x00\xff\xc0\xdb").to_bytes()))
    record = json.loads(run_cli("decode", path, "--format", "jsonl").out)
    assert record["info_text"] is None and record["info_hex"] == "00ffc0db"
    assert run_cli("decode", path).out == "N0CALL>CQ:<0x00><0xff><0xc0><0xdb>\n"


def test_out_file_and_kiss_output_round_trip(run_cli, kiss_file, tmp_path):
    out = tmp_path / "again.kiss"
    result = run_cli("decode", kiss_file, "--format", "kiss", "--out", out)
    assert result.code == 0 and result.out == ""
    assert out.read_bytes() == kiss_file.read_bytes()


def test_pcap_output_is_readable(run_cli, kiss_file, tmp_path, beacon_frames):
    out = tmp_path / "frames.pcap"
    assert run_cli("decode", kiss_file, "--format", "pcap", "--out", out).code == 0
    data = out.read_bytes()
    assert PCAP_HEADER.parse(data).link_type == LINKTYPE_AX25_KISS
    first = PCAP_RECORD.parse(data[PCAP_HEADER.sizeof() :])
    assert first.data == b"\x00" + beacon_frames[0].to_bytes()


def test_tshark_dissects_the_pcap_as_ax25(run_cli, kiss_file, tmp_path):
    tshark = require_program("tshark")
    out = tmp_path / "frames.pcap"
    run_cli("decode", kiss_file, "--format", "pcap", "--out", out)
    dissected = subprocess.run([tshark, "-r", str(out), "-V"], capture_output=True, text=True, check=True).stdout
    assert "AX.25" in dissected
    assert "Source: N0CALL-3" in dissected and "Destination: BEACON" in dissected
    assert dissected.count("Destination: BEACON") == 4


def test_truncated_file_keeps_frames_before_the_damage(run_cli, kiss_file, tmp_path, beacon_frames):
    damaged = tmp_path / "truncated.kiss"
    damaged.write_bytes(kiss_file.read_bytes()[:-10])
    result = run_cli("decode", damaged)
    assert result.code == 0
    assert result.out.splitlines() == [frame.tnc2() for frame in beacon_frames[:3]]
    assert "truncated" in result.err


def test_random_bytes_give_a_clear_message_and_exit_0(tmp_path):
    """In a real process, where a traceback would reach stderr."""
    noise = tmp_path / "noise.kiss"
    noise.write_bytes(os.urandom(5000).replace(b"\xc0", b"\x00")[:2500] + b"\xc0\x00\xdb\x01zz\xc0" + os.urandom(2500))
    result = subprocess.run([sys.executable, "-m", "groundstation", "decode", str(noise)], capture_output=True,
                            text=True)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    assert "malformed KISS" in result.stderr or "not AX.25" in result.stderr or "truncated" in result.stderr


def test_empty_file_says_zero_frames(run_cli, tmp_path):
    empty = tmp_path / "empty.kiss"
    empty.write_bytes(b"")
    result = run_cli("decode", empty)
    assert (result.code, result.out) == (0, "")
    assert "0 frames" in result.err


def test_a_good_file_ends_with_a_summary_line(run_cli, kiss_file):
    result = run_cli("decode", kiss_file)
    assert result.code == 0 and len(result.out.splitlines()) == 4
    assert result.err == f"groundstation: 4 frames from the KISS file {kiss_file}\n"


def test_missing_file_is_one_line_and_exit_2(run_cli, tmp_path):
    result = run_cli("decode", tmp_path / "nope.kiss")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "no such file" in result.err


def test_unwritable_out_is_exit_2(run_cli, kiss_file, tmp_path):
    result = run_cli("decode", kiss_file, "--out", tmp_path / "no" / "dir" / "x.txt")
    assert result.code == 2 and "--out" in result.err


def test_bad_option_is_one_line_and_exit_2(run_cli, kiss_file):
    result = run_cli("decode", kiss_file, "--format", "xml")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "invalid choice" in result.err


def test_installed_console_script(kiss_file):
    script = require_program("groundstation")  # installed by pip install -e '.[test]'
    version = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("groundstation ")
    decoded = subprocess.run([script, "decode", str(kiss_file), "--format", "kiss"], capture_output=True)
    deframer = KissDeframer()
    assert len(list(deframer.feed(decoded.stdout))) == 4


def test_frame_error_is_what_frames_raise():
    assert issubclass(FrameError, ValueError)


def test_verbose_works_before_and_after_the_subcommand(run_cli, kiss_file):
    for args in (["-v", "decode", kiss_file], ["decode", kiss_file, "-v"], ["decode", "-vv", kiss_file]):
        assert "INFO" in run_cli(*args).err, args
    assert "INFO" not in run_cli("decode", kiss_file).err
