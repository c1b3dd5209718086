"""Issue 11: the plan check's problems quoted in a refusal read in the reader's language.

The solver package stays pure (English text, no catalogue): app.planning.problems reads
each line back into its rule, place and text, and the page translates them. The API
keeps the English words. Each test fails when a line is left English."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE, Deferred, speaking, translated
from app.models import Role, User
from app.planning.problems import TEXTS, problem_line
from app.planning.visibility import violations_for
from app.solver.validate import Violation, describe

from .test_reasons_need_to_know import clash, published_then_unfit  # noqa: F401 (a fixture)

Login = Callable[[TestClient, User], TestClient]


def _filled(text: str) -> str:
    """The text with a distinct made-up value in each slot (as the validator fills it)."""
    names = re.findall(r"%\((\w+)\)s", text)
    return text % {name: f"V{index}x" for index, name in enumerate(names)}


def test_every_known_text_reads_back_in_thai_with_its_values() -> None:
    for number, text in enumerate(TEXTS):
        english = _filled(text)
        violation = describe(number % 11, english, "OP-1", "S-1", "U-1")
        line = problem_line(violation)
        assert isinstance(line, Deferred) and line == violation.message, text
        read = line.params["text"]
        assert isinstance(read, Deferred) and read.msgid == text, (text, read)  # its own
        with speaking("th"):
            thai = str(translated(line))
        assert thai.startswith(f"กฎ {number % 11} (") and "OP-1" in thai, thai
        assert "จุดปฏิบัติการ S-1" in thai and "หน่วย U-1" in thai, thai
        for value in re.findall(r"V\d+x", english):
            assert value in thai, (text, thai)
        assert english not in thai, thai
    # Without a place, and under a label of its own (crossing hours).
    hours = "outbound passage through %(crossing)s at %(time)s local is outside its open hours"
    bare = describe(8, _filled(hours), label="crossing hours")
    with speaking("zh-Hans"):
        assert str(translated(problem_line(bare))).startswith("规则 8（过境点开放时间）：")


def test_an_unknown_text_keeps_its_english_and_an_unknown_line_stays_as_it_was() -> None:
    # A text the table does not know: the rule is translated, the text left English.
    odd = Violation(3, "rule 3 (requirements): OP-1: something new", "OP-1")
    assert problem_line(odd) == odd.message
    with speaking("vi"):
        assert str(translated(problem_line(odd))) == "quy tắc 3 (yêu cầu): OP-1: something new"
    # A line not in the validator's form is not touched at all.
    mismatched = Violation(3, "rule 3 (requirements): OP-2: unknown unit id", "OP-1")
    assert not isinstance(problem_line(mismatched), Deferred)


def test_a_refused_publish_quotes_the_plan_check_in_thai(
    client: TestClient, clash: Session, make_user: Callable[..., User], login: Login,  # noqa: F811
) -> None:
    coordinator = make_user(clash, Role.coordinator)
    again = published_then_unfit(clash, coordinator)
    browser = login(client, coordinator)
    api = browser.post(f"/api/v1/plans/{again.id}/publish")
    assert api.status_code == 409
    english = [e["message"] for e in api.json()["errors"]]
    assert any("is not inside the unit's available time" in line for line in english), english

    browser.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "th")
    refused = browser.post(f"/planning/plans/{again.id}/publish")
    assert refused.status_code == 409
    assert "กฎ 10 (อยู่ได้ทีละที่): OP-RED" in refused.text
    assert "หน่วย U-TH-1" in refused.text
    assert "ไม่อยู่ในเวลาที่หน่วยพร้อม" in refused.text
    assert "available time" not in refused.text and "rule 10" not in refused.text


def test_the_line_for_an_operation_the_reader_may_not_see_is_lao() -> None:
    hidden = {"path": "OP-9", "message": problem_line(describe(2, "the site is not staffed",
                                                               "OP-9", "S-9"))}
    [line] = violations_for({"OP-1"}, ["OP-1", "OP-9"], [hidden])
    assert line["message"] == ("an operation you may not see no longer fits the board or "
                               "clashes with this plan")  # the API's words
    with speaking("lo"):
        assert str(translated(line["message"])).startswith("ການປະຕິບັດງານທີ່ທ່ານບໍ່ມີສິດເຫັນ")
