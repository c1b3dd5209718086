"""The administered resources: their form fields, list columns and service calls."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from app.admin import capabilities, geo, org, users
from app.admin.crud import Column, Resource, RowAction
from app.admin.display import crossing_hours, offset_label, short_list
from app.admin.fields import Field
from app.admin.schemas import IDENTITY_METHODS
from app.i18n import N_, gettext
from app.models import Agency, Capability, Country, Crossing, Region, Road, Role, Unit, User


def _countries(session: Session) -> list[tuple[str, str]]:
    rows = session.exec(select(Country).order_by(col(Country.code)))
    return [(c.code, f"{c.code} · {c.name}") for c in rows]


def _regions(session: Session) -> list[tuple[str, str]]:
    rows = session.exec(select(Region).order_by(col(Region.country_code), col(Region.id)))
    return [(r.id, f"{r.id} · {r.name}") for r in rows]


def _agencies(session: Session) -> list[tuple[str, str]]:
    rows = session.exec(select(Agency).order_by(col(Agency.id)))
    return [(a.id, f"{a.id} · {a.name}") for a in rows]


def _units(session: Session) -> list[tuple[str, str]]:
    rows = session.exec(select(Unit).order_by(col(Unit.id)))
    return [(u.id, f"{u.callsign} ({u.agency_id})") for u in rows]


# A role's words as the forms and lists show them (the stored value stays English).
ROLE_WORDS = {Role.admin: N_("admin"), Role.planner: N_("planner"),
              Role.coordinator: N_("coordinator"), Role.liaison: N_("liaison"),
              Role.unit_officer: N_("unit officer")}


def _role(role: Role) -> str:
    return gettext(ROLE_WORDS.get(role, role.value.replace("_", " ")))


def _roles(session: Session) -> list[tuple[str, str]]:
    return [(r.value, _role(r)) for r in Role]


def _identity_methods(session: Session) -> list[tuple[str, str]]:
    return [(method.value, gettext(label)) for method, label in IDENTITY_METHODS.items()]


# The identity check an administrator makes before opening an account, resetting its
# password or removing its second factor: the same fields, list and rules for all three.
IDENTITY_HELP = N_("how you made sure the person asking is the account holder: the same "
                   "check opens an account, resets its password and removes its two-step "
                   "sign-in")
REFERENCE_HELP = N_("what the check rests on, e.g. the last digits of the ID document or the "
                    "confirming liaison officer's name (4 to 200 characters)")


def _user_extra(session: Session, user: User) -> dict[str, object]:
    """What the user's account forms (password reset, second factor) need."""
    return {"identity_methods": _identity_methods(session), "identity_help": IDENTITY_HELP,
            "reference_help": REFERENCE_HELP}


def _initial_password_page(request: Request, done: users.InitialPassword) -> Response | None:
    from app.admin.views import initial_password_page  # the views import this module

    return initial_password_page(request, done)


def _int_key(model: type[Road] | type[User]) -> Callable[[Session, str], object]:
    """Look up a row by an integer key from the URL (anything else is simply not found)."""
    return lambda s, key: s.get(model, int(key)) if key.isdigit() else None


REGIONS = Resource(
    slug="regions", title=N_("Regions"), singular=N_("region"),
    intro=N_("Provinces and states: where units are based and sites lie."),
    fields=(
        Field("id", N_("Id"), help=N_("e.g. TH-CRI"), create_only=True),
        Field("country_code", N_("Country"), "select", choices=_countries, create_only=True),
        Field("name", N_("Name")),
        Field("lat", N_("Latitude"), "number", step="any"),
        Field("lon", N_("Longitude"), "number", step="any"),
    ),
    columns=(Column(N_("Id"), lambda r: r.id), Column(N_("Name"), lambda r: r.name),
             Column(N_("Country"), lambda r: r.country_code),
             Column(N_("Lat, lon"), lambda r: f"{r.lat:.3f}, {r.lon:.3f}")),
    lister=geo.list_regions, getter=lambda s, k: s.get(Region, k),
    creator=lambda s, d, u: geo.create_region(s, data=d, actor=u),
    updater=lambda s, o, d, u: geo.update_region(s, region=o, data=d, actor=u),
    deleter=lambda s, o, u: geo.delete_region(s, region=o, actor=u),
)

ROADS = Resource(
    slug="roads", title=N_("Roads"), singular=N_("road"),
    intro=N_("Undirected road links between two regions of one country (crossings join "
          "countries)."),
    fields=(
        Field("a_id", N_("From region"), "select", choices=_regions),
        Field("b_id", N_("To region"), "select", choices=_regions),
        Field("minutes", N_("Driving time (minutes)"), "number"),
    ),
    columns=(Column(N_("No."), lambda r: r.id), Column(N_("From"), lambda r: r.a_id),
             Column(N_("To"), lambda r: r.b_id), Column(N_("Minutes"), lambda r: r.minutes)),
    lister=geo.list_roads, getter=_int_key(Road),
    creator=lambda s, d, u: geo.create_road(s, data=d, actor=u),
    updater=lambda s, o, d, u: geo.update_road(s, road=o, data=d, actor=u),
    deleter=lambda s, o, u: geo.delete_road(s, road=o, actor=u),
)

CROSSINGS = Resource(
    slug="crossings", title=N_("Border crossings"), singular=N_("crossing"),
    intro=N_("Crossings join regions of two countries. Daily hours are in the crossing's "
          "local time; no window means open at all times."),
    fields=(
        Field("id", N_("Id"), help=N_("e.g. X-MAESAI"), create_only=True),
        Field("a_id", N_("Region on one side"), "select", choices=_regions, create_only=True),
        Field("b_id", N_("Region on the other side"), "select", choices=_regions, create_only=True),
        Field("name", N_("Name")),
        Field("transit_minutes", N_("Transit (minutes)"), "number", help=N_("at least 1")),
        Field("lanes", N_("Lanes"), "number", help=N_("passages at the same time, at least 1")),
        Field("timezone", N_("Time zone"), "select", choices=geo.crossing_zones,
              help=N_("the crossing's local time: its hours and closures are in it")),
        Field("open_windows", N_("Daily opening hours (local time)"), "windows", required=False,
              help=N_("HH:MM, from before to; 24:00 allowed as an end")),
        Field("lat", N_("Latitude (map)"), "number", step="any", required=False,
              help=N_("optional; without it the maps put the crossing half-way between its "
                   "regions")),
        Field("lon", N_("Longitude (map)"), "number", step="any", required=False),
        Field("checkpoint_contact", N_("Checkpoint contact"), required=False,
              help=N_("who a unit calls before it passes, e.g. Immigration duty desk")),
        Field("checkpoint_phone", N_("Checkpoint phone"), required=False),
    ),
    columns=(Column(N_("Id"), lambda c: c.id), Column(N_("Name"), lambda c: c.name),
             Column(N_("Joins"), lambda c: f"{c.a_id} – {c.b_id}"),
             Column(N_("Zone"), lambda c: f"{c.timezone} ({offset_label(c.timezone)})"),
             Column(N_("Hours (local = UTC)"), crossing_hours),
             Column(N_("Transit, lanes"), lambda c: f"{c.transit_minutes} min, {c.lanes}")),
    lister=geo.list_crossings, getter=lambda s, k: s.get(Crossing, k),
    creator=lambda s, d, u: geo.create_crossing(s, data=d, actor=u),
    updater=lambda s, o, d, u: geo.update_crossing(s, crossing=o, data=d, actor=u),
    deleter=lambda s, o, u: geo.delete_crossing(s, crossing=o, actor=u),
    edit_extra="admin/crossing_extra.html",
    extra_context=lambda s, o: {"closures": geo.list_closures(s, o)},
)

AGREEMENTS = Resource(
    slug="agreements", title=N_("Agreements"), singular=N_("agreement"),
    intro=N_("Directional: units of the first country may be deployed into the second."),
    fields=(
        Field("from_country", N_("Units of"), "select", choices=_countries),
        Field("to_country", N_("may deploy into"), "select", choices=_countries),
    ),
    columns=(Column(N_("From"), lambda a: a.from_country),
             Column(N_("Into"), lambda a: a.to_country)),
    lister=geo.list_agreements, getter=geo.get_agreement, key=geo.agreement_key,
    creator=lambda s, d, u: geo.create_agreement(s, data=d, actor=u),
    deleter=lambda s, o, u: geo.delete_agreement(s, agreement=o, actor=u),
)

AGENCIES = Resource(
    slug="agencies", title=N_("Agencies"), singular=N_("agency"),
    fields=(
        Field("id", N_("Id"), help=N_("capital letters, e.g. TH-RTP"), create_only=True),
        Field("country_code", N_("Country"), "select", choices=_countries, create_only=True),
        Field("name", N_("Name")),
        Field("duty_officer", N_("Duty officer"), required=False,
              help=N_("the 24-hour duty desk or officer tasked units call")),
        Field("duty_phone", N_("Duty officer phone"), required=False),
        Field("liaison_name", N_("Liaison officer for operations in this country"),
              required=False),
        Field("liaison_phone", N_("Liaison officer phone"), required=False),
    ),
    columns=(Column(N_("Id"), lambda a: a.id), Column(N_("Name"), lambda a: a.name),
             Column(N_("Country"), lambda a: a.country_code),
             Column(N_("Duty officer"), lambda a: " · ".join(
                 p for p in (a.duty_officer, a.duty_phone) if p))),
    lister=org.list_agencies, getter=lambda s, k: s.get(Agency, k),
    creator=lambda s, d, u: org.create_agency(s, data=d, actor=u),
    updater=lambda s, o, d, u: org.update_agency(s, agency=o, data=d, actor=u),
    deleter=lambda s, o, u: org.delete_agency(s, agency=o, actor=u),
)

UNITS = Resource(
    slug="units", title=N_("Units"), singular=N_("unit"), per_page=50,
    intro=N_("A unit's base and operating regions lie in its agency's country."),
    fields=(
        Field("id", N_("Id"), help=N_("e.g. U-0007"), create_only=True),
        Field("agency_id", N_("Agency"), "select", choices=_agencies, create_only=True),
        Field("callsign", N_("Callsign")),
        Field("capabilities", N_("Capabilities"), "list",
              help=N_("comma-separated, e.g. tactical, cyber")),
        Field("personnel", N_("Personnel"), "number", help=N_("at least 1")),
        Field("base_region_id", N_("Base region"), "select", choices=_regions),
        Field("operating_regions", N_("Operating regions (own country)"), "regions", required=False,
              help=N_("region ids, comma-separated")),
        Field("availability", N_("Availability"), "intervals", required=False,
              help=N_("one window a line: start end, RFC 3339 with offset, e.g. "
                   "2026-12-01T00:00:00+07:00 2026-12-05T00:00:00+07:00")),
    ),
    columns=(Column(N_("Id"), lambda u: u.id), Column(N_("Callsign"), lambda u: u.callsign),
             Column(N_("Agency"), lambda u: u.agency_id),
             Column(N_("Capabilities"), lambda u: ", ".join(u.capabilities)),
             Column(N_("Personnel"), lambda u: u.personnel),
             Column(N_("Base"), lambda u: u.base_region_id),
             Column(N_("Operates in"),
                    lambda u: short_list(u.operating_regions, gettext("whole country"))),
             Column(N_("Available"), lambda u: gettext("always") if u.availability is None
                    else gettext("%(count)s window(s)") % {"count": len(u.availability)})),
    lister=org.list_units, getter=lambda s, k: s.get(Unit, k),
    creator=lambda s, d, u: org.create_unit(s, data=d, actor=u),
    updater=lambda s, o, d, u: org.update_unit(s, unit=o, data=d, actor=u),
    deleter=lambda s, o, u: org.delete_unit(s, unit=o, actor=u),
)

USERS = Resource(
    slug="users", title=N_("Users"), singular=N_("user"),
    intro=N_("Disabling an account ends its sessions and calendar feeds at once; changing a "
          "role revokes its calendar feeds."),
    fields=(
        Field("username", N_("Username"), create_only=True),
        Field("full_name", N_("Full name"), required=False),
        Field("role", N_("Role"), "select", choices=_roles),
        Field("agency_id", N_("Agency"), "select", choices=_agencies, required=False,
              help=N_("required for liaison officers")),
        Field("unit_id", N_("Unit"), "datalist", choices=_units, required=False,
              help=N_("unit officers only: the unit id")),
        Field("password", N_("Initial password"), "password", create_only=True,
              required=False,
              help=N_("leave empty and the board generates one, shown to you once; typed or "
                      "generated, it opens one sign-in, where the user must choose their own, "
                      "and expires if unused")),
        Field("identity_method", N_("Identity check"), "select", choices=_identity_methods,
              create_only=True, help=IDENTITY_HELP),
        Field("identity_reference", N_("Identity check reference"), create_only=True,
              help=REFERENCE_HELP),
    ),
    columns=(Column(N_("Username"), lambda u: u.username),
             Column(N_("Name"), lambda u: u.full_name),
             Column(N_("Role"), lambda u: _role(u.role)),
             Column(N_("Agency"), lambda u: u.agency_id or ""),
             Column(N_("Unit"), lambda u: u.unit_id or ""),
             Column(N_("Status"),
                    lambda u: gettext("active") if u.is_active else gettext("disabled"))),
    lister=users.list_users, getter=_int_key(User),
    creator=lambda s, d, u: users.create_user(s, data=d, actor=u),
    updater=lambda s, o, d, u: users.update_user(s, user=o, data=d, actor=u),
    edit_extra="admin/user_extra.html",
    extra_context=_user_extra,
    created_page=_initial_password_page,
    row_actions=(
        RowAction("disable", N_("Disable"), lambda u: u.is_active, danger=True,
                  confirm=N_("Disable this account? Its sessions and calendar feeds end at once.")),
        RowAction("enable", N_("Enable"), lambda u: not u.is_active),
    ),
)

CAPABILITIES = Resource(
    slug="capabilities", title=N_("Capabilities"), singular=N_("capability"),
    intro=N_("The list the operation form offers for a site's requirements; a capability not "
          "on it is refused there. A capability a unit or requirement names stays on it."),
    fields=(
        Field("name", N_("Name"), help=N_("lower case, e.g. border_patrol"), create_only=True),
        Field("description", N_("Description"), required=False),
    ),
    columns=(Column(N_("Name"), lambda c: c.name),
             Column(N_("Description"), lambda c: c.description)),
    lister=capabilities.list_capabilities, getter=lambda s, k: s.get(Capability, k),
    key=lambda c: c.name,
    creator=lambda s, d, u: capabilities.create_capability(s, data=d, actor=u),
    updater=lambda s, o, d, u: capabilities.update_capability(s, capability=o, data=d, actor=u),
    deleter=lambda s, o, u: capabilities.delete_capability(s, capability=o, actor=u),
)

ALL = (UNITS, USERS, AGENCIES, CAPABILITIES, REGIONS, ROADS, CROSSINGS, AGREEMENTS)
