"""Form fields of the admin pages: how each kind reads a form, feeds a service, shows a row.

A form moves through three shapes: the posted form (lists of strings), the *values* a
template shows (strings, and rows for crossing windows), and the *data* a service
validates through its Create/Update model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

FormData = dict[str, list[str]]
Choices = Callable[[Session], list[tuple[str, str]]]

# text, number, password, select, datalist: one string; list: comma- or line-separated;
# regions / intervals: a list with a mode (all = NULL, listed = the list, maybe []);
# windows: rows of daily {from, to}.
KINDS = {"text", "number", "password", "select", "datalist", "list", "regions", "intervals",
         "windows"}


@dataclass(frozen=True)
class Field:
    """One input of an admin form."""

    name: str
    label: str
    kind: str = "text"
    help: str = ""
    required: bool = True
    create_only: bool = False
    choices: Choices | None = None
    step: str = "1"

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind


def _first(form: FormData, name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n;]", text) if part.strip()]


def read_form(fields: tuple[Field, ...], form: FormData) -> dict[str, Any]:
    """The values as typed, to show again next to the errors."""
    values: dict[str, Any] = {}
    for field in fields:
        if field.kind == "windows":
            starts, ends = form.get("open_from", []), form.get("open_to", [])
            values[field.name] = [
                {"from": a.strip(), "to": b.strip()} for a, b in zip(starts, ends, strict=False)
                if a.strip() or b.strip()
            ]
        else:
            values[field.name] = _first(form, field.name)
        if field.kind in ("regions", "intervals"):
            values[field.name + "_mode"] = _first(form, field.name + "_mode") or "all"
    return values


def _interval(line: str) -> dict[str, str]:
    parts = line.replace("/", " ").split()
    return {"start": parts[0], "end": parts[1] if len(parts) > 1 else ""}


def to_data(fields: tuple[Field, ...], values: dict[str, Any]) -> dict[str, Any]:
    """What a service validates; blank required inputs are left out ("is required")."""
    data: dict[str, Any] = {}
    for field in fields:
        raw = values.get(field.name)
        if field.kind == "windows":
            data[field.name] = raw or None
        elif field.kind in ("regions", "intervals"):
            if values.get(field.name + "_mode") != "listed":
                data[field.name] = None
            elif field.kind == "regions":
                data[field.name] = _split(raw or "")
            else:
                data[field.name] = [_interval(x) for x in (raw or "").splitlines() if x.strip()]
        elif field.kind == "list":
            data[field.name] = _split(raw or "")
        elif raw:
            data[field.name] = raw
        elif not field.required:
            data[field.name] = None
    return data


def from_object(fields: tuple[Field, ...], obj: Any) -> dict[str, Any]:
    """The values of a stored row, for its edit form."""
    values: dict[str, Any] = {}
    for field in fields:
        value = getattr(obj, field.name, None)
        if field.kind == "password":
            value = ""
        elif field.kind == "windows":
            value = list(value or [])
        elif field.kind in ("regions", "intervals"):
            values[field.name + "_mode"] = "all" if value is None else "listed"
            if field.kind == "regions":
                value = ", ".join(value or [])
            else:
                value = "\n".join(f"{w['start']} {w['end']}" for w in value or [])
        elif field.kind == "list":
            value = ", ".join(value or [])
        values[field.name] = "" if value is None else value
    return values
