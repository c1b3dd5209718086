"""Sample taskings for the feed tests: a Thai unit crossing into Myanmar at Mae Sai."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.feeds.events import CrossingPassage, Place, TaskingView, tasking_uid

H_HOUR = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
# The database tests: H-hour of the board fixtures' operations, and when they were published.
BOARD_H_HOUR = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
PUBLISHED = BOARD_H_HOUR - timedelta(days=5)

# "Operation" in Thai, Lao, Burmese and Chinese: 3 bytes a character in UTF-8.
THAI = "ปฏิบัติการ"
LAO = "ປະຕິບັດການ"
BURMESE = "စစ်ဆင်ရေး"
CHINESE = "湄公河行动"


def tasking(number: int = 1, **changes: Any) -> TaskingView:
    """A published TLP:AMBER tasking; keyword arguments override fields."""
    base = TaskingView(
        uid=tasking_uid(number),
        code_name=f"MEKONG DAWN {number}",
        tlp="AMBER",
        state="published",
        sequence=0,
        updated_at=H_HOUR - timedelta(days=3),
        depart=H_HOUR - timedelta(hours=3),
        return_at=H_HOUR + timedelta(hours=9),
        h_hour=H_HOUR,
        home_timezone="Asia/Bangkok",
        unit_callsign="TH-BPP-31",
        role="raid",
        staging=Place("Tachileik staging", "Asia/Yangon"),
        rendezvous_at=H_HOUR - timedelta(minutes=45),
        crossing=CrossingPassage(
            Place("Mae Sai - Tachileik", "Asia/Bangkok"),
            out=H_HOUR - timedelta(hours=2),
            back=H_HOUR + timedelta(hours=7),
        ),
        operation_timezones=("Asia/Bangkok", "Asia/Yangon"),
    )
    return base._replace(**changes)
