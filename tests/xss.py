"""A firm whose name is markup: for the tests that text from the data stays text."""
from __future__ import annotations

import csv
from pathlib import Path

XSS = "<img src=x onerror=alert(1)>"


def rename_firm(data: Path, firm: str = "korsch", name: str = XSS) -> None:
    """Give a firm of ``data/organizations.csv`` (a copy of data/) a new name."""
    path = data / "organizations.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["id"] == firm:
            row["name"] = name
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
