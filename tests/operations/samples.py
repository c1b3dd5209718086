"""A valid operation document to start tests from."""

from __future__ import annotations

from typing import Any


def op_input(**overrides: Any) -> dict[str, Any]:
    """A valid operation document (one Thai and one Myanmar site)."""
    doc: dict[str, Any] = {
        "code_name": "Golden Net",
        "lead_agency_id": "TH-RTP",
        "priority": 10,
        "earliest_start": "2026-12-02T00:00:00Z",
        "latest_end": "2026-12-03T00:00:00Z",
        "duration_minutes": 240,
        "tlp": "AMBER",
        "sites": [
            {"region_id": "TH-MSI", "objective": "compound A",
             "requirements": [{"capability": "tactical", "count": 2}]},
            {"region_id": "MM-TAC", "objective": "compound B",
             "requirements": [{"capability": "cyber", "count": 1}]},
        ],
    }
    doc.update(overrides)
    return doc
