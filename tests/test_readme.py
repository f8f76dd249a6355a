"""The README agrees with the program: the fields it documents, the files its examples name."""

from __future__ import annotations

import re
from pathlib import Path

from groundstation.outputs.sinks import frame_to_json
from groundstation.recordings.kissfile import KissStats, read_kiss_file

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def example_commands() -> list[str]:
    """Every ``$ command`` line of the README's code blocks."""
    return [line[2:] for line in README.splitlines() if line.startswith("$ ")]


def test_the_jsonl_fields_documented_are_the_fields_written(kiss_file):
    sentence = re.search(r"`jsonl` \(one object a frame: (.*?)\), `kiss`", README, re.DOTALL).group(1)
    documented = re.findall(r"`(\w+)`", re.sub(r"\([^()]*\)", "", sentence))  # the names, not their notes
    frame = next(read_kiss_file(str(kiss_file), KissStats()))
    assert documented == list(frame_to_json(frame))


def test_every_project_file_an_example_names_is_in_the_project():
    named = {path for command in example_commands() for path in re.findall(r"examples/[\w/.-]+", command)}
    assert named, "the README's examples name no shipped file"
    assert [path for path in sorted(named) if not (ROOT / path).exists()] == []


def test_no_example_needs_anything_beside_the_project():
    assert [command for command in example_commands() if "../" in command] == []
