"""docs/reliability.md: regenerating the fault suite's part keeps scripts/soak's section."""

import json
from pathlib import Path

from .faults.report import SOAK_END, SOAK_START, main

SOAK = f"{SOAK_START}\n## Soak: a real Home Assistant, faults, kill -9\n\n| a | b |\n{SOAK_END}"


def test_regenerating_keeps_the_soak_section(tmp_path: Path) -> None:
    """The soak's results survive scripts/reliability; the rest is rendered anew."""
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"cases": [], "secret_checks": [], "outcomes": {}}))
    document = tmp_path / "reliability.md"
    document.write_text(f"# Reliability\n\nold text\n\n{SOAK}\n")

    assert main(["report", str(report), str(document)]) == 0

    text = document.read_text()
    assert "old text" not in text
    assert text.startswith("# Reliability")
    assert text.count(SOAK) == 1
    assert text.endswith(f"{SOAK_END}\n")


def test_no_soak_section_adds_none(tmp_path: Path) -> None:
    """Before the first soak, the document is the fault suite's alone."""
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"cases": [], "secret_checks": [], "outcomes": {}}))
    document = tmp_path / "reliability.md"

    assert main(["report", str(report), str(document)]) == 0

    assert SOAK_START not in document.read_text()
