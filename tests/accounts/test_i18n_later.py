"""Issue 11: words made in Python (form errors, state badges) are English where they are
made and translated where they are shown, in the reader's language at that moment."""

from __future__ import annotations

import json

from pydantic import BaseModel, Field, ValidationError

from app import i18n
from app.web import state_label


def test_later_text_is_english_until_shown() -> None:
    message = i18n.later("unknown region %(region)s", region="'XX'")
    assert message == "unknown region 'XX'"
    assert json.dumps({"message": message}) == '{"message": "unknown region \'XX\'"}'
    with i18n.speaking("th"):
        # Made while the request spoke Thai, still English until a page shows it.
        assert str(i18n.later("is required")) == "is required"
        assert i18n.translated(message) == "ไม่รู้จักภูมิภาค 'XX'"
        assert i18n.translated("choose the region of this site") == "เลือกภูมิภาคของสถานที่นี้"
    with i18n.speaking("en"):
        assert i18n.translated(message) == "unknown region 'XX'"


def test_values_of_later_text_are_translated_too() -> None:
    nested = i18n.later("#%(number)s: %(text)s", number=2, text=i18n.later("is required"))
    assert nested == "#2: is required"
    with i18n.speaking("zh-Hans"):
        assert i18n.translated(nested) == "第 2 项：必填"


def test_text_the_catalogues_do_not_know_is_shown_as_it_is() -> None:
    with i18n.speaking("vi"):
        assert i18n.translated("TH-MSI") == "TH-MSI"
        assert i18n.translated(3) == 3


class _Sample(BaseModel):
    count: int = Field(ge=1)
    name: str = Field(min_length=3)


def _errors(data: dict[str, object]) -> dict[str, str]:
    try:
        _Sample.model_validate(data)
    except ValidationError as exc:
        return {str(e["loc"][0]): i18n.pydantic_message(e) for e in exc.errors()}
    raise AssertionError("expected errors")


def test_pydantic_messages_keep_their_english_and_translate_when_shown() -> None:
    errors = _errors({"count": 0, "name": "ab"})
    assert errors == {"count": "Input should be greater than or equal to 1",
                      "name": "String should have at least 3 characters"}
    with i18n.speaking("th"):
        assert i18n.translated(errors["count"]) == "ต้องมากกว่าหรือเท่ากับ 1"
        assert i18n.translated(errors["name"]) == "ต้องมีอย่างน้อย 3 ตัวอักษร"


def test_a_state_badge_reads_in_the_readers_language() -> None:
    from app.models import OperationState

    with i18n.speaking("lo"):
        assert state_label(OperationState.approved) == "ອະນຸມັດແລ້ວ"
        assert state_label("handed_over") == "ສົ່ງມອບແລ້ວ"
    with i18n.speaking("en"):
        assert state_label(OperationState.scheduled) == "scheduled"
