"""``groundstation demo``: right verdicts, real images, everything labelled simulated."""

import json


def test_demo(run_cli, tmp_path):
    out = tmp_path / "demo"
    result = run_cli("demo", "--out", out)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[-2:] == [
        "verdict: malligyong-1-simulated-beacon.sigmf-meta: TRANSMITTING",
        "verdict: malligyong-1-simulated-interferer.sigmf-meta: SIGNAL NOT FROM THIS SATELLITE",
    ]
    assert "Kwangmyongsong-4: decayed 2023-06-30" in result.out
    assert "decoded: SIMSAT>TLM:SIMULATED beacon" in result.out
    for name in ("malligyong-1-simulated-beacon", "malligyong-1-simulated-interferer"):
        meta = json.loads((out / f"{name}.sigmf-meta").read_text())
        assert meta["global"]["groundstation:simulated"] is True and "SIMULATED" in meta["global"]["core:description"]
        assert (out / f"{name}.sigmf-data").stat().st_size < 50 * 2**20
        report = out / f"{name}-report"
        assert (report / "waterfall.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (report / "report.html").exists()
