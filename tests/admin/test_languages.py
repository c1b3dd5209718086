"""Issue 11: the admin pages in the administrator's language, field labels and the errors
beside them included (they are made in Python and translated when the page is drawn)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE

from .helpers import field_error


def _speaking(client: TestClient, code: str) -> TestClient:
    client.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), code)
    return client


def test_the_units_list_speaks_chinese(admin: TestClient) -> None:
    page = _speaking(admin, "zh-Hans").get("/admin/units")
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.text
    # Title, column labels and the "add" button come from Python (resources.py).
    for chinese in ("<h1>警力</h1>", '<th scope="col">呼号</th>', '<th scope="col">基地</th>',
                    "添加单位", "搜索警力", '<a href="/admin">管理</a>'):
        assert chinese in page.text, chinese
    for english in ("Callsign", "Add unit", "Search units", "Breadcrumb"):
        assert english not in page.text, english


def test_a_region_form_and_its_field_errors_speak_chinese(admin: TestClient) -> None:
    zh = _speaking(admin, "zh-Hans")
    form = zh.get("/admin/regions/new")
    assert "<h1>新建地区</h1>" in form.text
    assert '<label for="f-lat">纬度</label>' in form.text and "例如 TH-CRI" in form.text
    assert "— 请选择 —" in form.text
    refused = zh.post("/admin/regions", data={
        "id": "TH-ZZZ", "country_code": "TH", "name": "", "lat": "north", "lon": "99.8"})
    assert refused.status_code == 422
    assert "请更正标出的字段。" in refused.text
    assert field_error(refused, "name") == "必填"
    assert field_error(refused, "lat") == "必须是数字"
    assert 'value="north"' in refused.text


def test_the_same_region_errors_stay_english_for_an_english_reader(admin: TestClient) -> None:
    refused = admin.post("/admin/regions", data={
        "id": "TH-ZZZ", "country_code": "TH", "name": "", "lat": "north", "lon": "99.8"})
    assert refused.status_code == 422
    assert field_error(refused, "name") == "is required"
    assert field_error(refused, "lat") == "must be a number"


def test_the_index_and_the_audit_trail_speak_thai(admin: TestClient) -> None:
    th = _speaking(admin, "th")
    index = th.get("/admin")
    assert "<h1>การดูแลระบบ</h1>" in index.text and "บันทึกการตรวจสอบ" in index.text
    assert "ด่านชายแดน" in index.text  # a resource's title, from Python
    audit = th.get("/admin/audit")
    assert '<label for="f-action">การกระทำขึ้นต้นด้วย</label>' in audit.text
    assert "Audit trail" not in audit.text


def test_roles_and_account_states_in_the_users_list_speak_vietnamese(admin: TestClient) -> None:
    page = _speaking(admin, "vi").get("/admin/users")
    row = page.text[page.text.index("root-admin"):]
    assert '<td data-label="Vai trò">quản trị viên</td>' in row
    assert '<td data-label="Tình trạng">đang hoạt động</td>' in row


def test_a_crossing_closure_refused_in_khmer_says_why_beside_each_field(
    admin: TestClient,
) -> None:
    refused = _speaking(admin, "km").post("/admin/crossings/X-MSI-TAC/closures", data={
        "closure_starts_on": "soon", "closure_ends_on": "", "closure_reason": ""})
    assert refused.status_code == 422
    assert field_error(refused, "closure_starts_on") == (
        "ផ្ដល់ថ្ងៃដំបូងដែលបិទជា YYYY-MM-DD ('soon' មិនមែនជាកាលបរិច្ឆេទទេ)")
    assert field_error(refused, "closure_reason") == (
        "ប្រាប់មូលហេតុដែលច្រកបិទ (អ្នករៀបចំផែនការមើលឃើញ)")
    assert "<h2 id=\"closures-h\">ការបិទ</h2>" in refused.text


def test_the_password_rules_speak_thai_beside_the_admin_user_form(admin: TestClient) -> None:
    """The password policy's reasons (app/accounts/passwords.py) in the admin's language."""
    th = _speaking(admin, "th")
    refused = th.post("/admin/users", data={
        "username": "noy.th", "full_name": "Noy", "role": "planner", "agency_id": "TH-RTP",
        "password": "short"})
    assert refused.status_code == 422
    assert field_error(refused, "password") == "รหัสผ่านต้องมีอย่างน้อย 12 ตัวอักษร (ได้ 5)"
    breached = th.post("/admin/users", data={
        "username": "noy.th", "full_name": "Noy", "role": "planner", "agency_id": "TH-RTP",
        "password": "password1234"})
    assert field_error(breached, "password") == (
        "รหัสผ่านนี้อยู่ในรายการรหัสผ่านที่ใช้กันทั่วไป: เลือกรหัสอื่น")
