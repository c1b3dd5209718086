"""The plan check's problems (app.solver.validate) in the reader's language.

The solver package stays free of the web and its catalogues: its violations carry English
text. Here each line is read back into its parts (the rule, the operation, site and unit
it names, and the text after them) and each part mapped to a message id with its values,
so a refusal that quotes them reads in the reader's language when it is shown
(`translated`). The result *is* the English line (a `Deferred`): the API, the logs and
the visibility filter keep reading the same words. A line this table does not know
stays English rather than be guessed at.
"""

from __future__ import annotations

import re

from app.i18n import N_, Deferred, Joined, later, read_back
from app.solver.validate import RULE_NAMES, Violation

# The rules' names as the validator writes them (RULE_NAMES, and the labels it gives).
RULE_WORDS = {
    "structure": N_("structure"),
    "window": N_("window"),
    "coordinated strike": N_("coordinated strike"),
    "requirements": N_("requirements"),
    "headcount": N_("headcount"),
    "host-nation presence": N_("host-nation presence"),
    "jurisdiction": N_("jurisdiction"),
    "domestic travel": N_("domestic travel"),
    "cross-border travel": N_("cross-border travel"),
    "lanes": N_("lanes"),
    "one place at a time": N_("one place at a time"),
    "cordon staff": N_("cordon staff"),
    "sealed crossing": N_("sealed crossing"),
    "crossing hours": N_("crossing hours"),
}
assert set(RULE_NAMES.values()) <= set(RULE_WORDS)  # noqa: S101 (a new rule needs a word)

# The validator's texts (app/solver/validate_rules.py, validate_travel.py, and
# Instance.jurisdiction_problem) with their values as %(name)s: each is also the
# pattern its English is read back by. A validator text changed without this table
# stays English (never wrongly translated). More specific texts come first: the first
# that matches is taken.
TEXTS = (
    N_("unknown operation id"),
    N_("unknown site id"),
    N_("unknown unit id"),
    N_("the operation is neither scheduled nor listed unscheduled"),
    N_("the unit appears more than once in the operation"),
    N_("starts %(start)s, before earliest_start %(earliest)s"),
    N_("ends %(end)s, after latest_end %(latest)s"),
    N_("start %(start)s is off the %(minutes)s-minute slot grid"),
    N_("start %(start)s is not the fixed start %(fixed)s"),
    N_("the site is not staffed"),
    N_("%(assigned)s personnel assigned, at least %(needed)s needed"),
    N_("no assigned unit is of the host country %(country)s"),
    N_("capability %(capability)s is not a requirement of the site"),
    N_("the unit does not have capability %(capability)s"),
    N_("requirement %(capability)s needs exactly %(count)s unit(s), %(assigned)s assigned"),
    N_("%(region)s is outside the operating regions of %(unit)s"),
    N_("%(operation)s has no foreign-support consent for units of %(country)s"),
    N_("no agreement lets units of %(home)s deploy into %(away)s"),
    N_("no road from base %(base)s to %(region)s (route through %(crossing)s)"),
    N_("no road from %(start)s to %(region)s (route through %(crossing)s)"),
    N_("no road from base %(base)s to %(region)s"),
    N_("departs %(depart)s, %(minutes)s min from the site, cannot arrive by the start "
       "%(start)s"),
    N_("returns %(back)s, but the strike ends %(end)s and the way back takes %(minutes)s min"),
    N_("crossing %(crossing)s does not join %(home)s and %(away)s"),
    N_("departs %(depart)s, %(minutes)s min from %(crossing)s, cannot cross out at %(out)s"),
    N_("crosses out at %(out)s, cannot reach the site (%(transit)s min transit + "
       "%(minutes)s min) by the start %(start)s"),
    N_("the strike ends %(end)s, cannot be back at %(crossing)s (%(minutes)s min) to cross "
       "back at %(back)s"),
    N_("crosses back at %(back)s, cannot be home (%(transit)s min transit + %(minutes)s min) "
       "by the return %(return)s"),
    N_("outbound passage through %(crossing)s at %(time)s local is outside its open hours"),
    N_("return passage through %(crossing)s at %(time)s local is outside its open hours"),
    N_("busy interval %(span)s is not inside the horizon"),
    N_("busy interval %(span)s is not inside the unit's available time"),
    N_("busy interval %(span)s overlaps its assignment to %(operation)s site %(site)s until "
       "%(until)s"),
    N_("outbound passage through %(crossing)s at %(time)s local starts while %(count)s "
       "passage(s) are in progress (%(others)s) on %(lanes)s lane(s)"),
    N_("return passage through %(crossing)s at %(time)s local starts while %(count)s "
       "passage(s) are in progress (%(others)s) on %(lanes)s lane(s)"),
    # The cordon rules (app/solver/validate_cordons.py).
    N_("the operation has no cordon but lists posts"),
    N_("%(crossing)s is not sealed by this cordon"),
    N_("the unit takes part in the raid it cordons"),
    N_("the unit staffs more than one post"),
    N_("side %(side)s of %(crossing)s has %(found)s post(s), not %(count)s"),
    N_("post %(post)s is not the seal %(seal)s"),
    N_("no road from %(base)s to %(region)s"),
    N_("departs %(depart)s, too late to reach %(region)s (%(minutes)s min) by %(start)s"),
    N_("cannot be back from %(region)s (%(minutes)s min) by %(return)s"),
    N_("its own outbound passage through %(crossing)s at %(time)s (%(operation)s) overlaps "
       "the seal of %(sealed)s %(seal)s"),
    N_("its own return passage through %(crossing)s at %(time)s (%(operation)s) overlaps "
       "the seal of %(sealed)s %(seal)s"),
    N_("outbound passage through %(crossing)s at %(time)s (%(operation)s) overlaps the seal "
       "of %(sealed)s %(seal)s"),
    N_("return passage through %(crossing)s at %(time)s (%(operation)s) overlaps the seal "
       "of %(sealed)s %(seal)s"),
)

_PREFIX = re.compile(r"rule (?P<rule>\d+) \((?P<name>[^)]*)\): ")
def _text(english: str) -> str:
    return read_back(english, TEXTS)


def problem_line(violation: Violation) -> str:
    """The violation's message, to be shown in the reader's language (a `Deferred`
    equal to the English message; the message itself when its form is unknown)."""
    message = violation.message
    prefix = _PREFIX.match(message)
    if prefix is None or prefix.group("name") not in RULE_WORDS:
        return message
    rest = message[prefix.end():]
    where: list[object] = [violation.operation] if violation.operation else []
    if violation.site:
        where.append(later("site %(site)s", site=violation.site))
    if violation.unit:
        where.append(later("unit %(unit)s", unit=violation.unit))
    place = Joined(where, " ")
    name = later(RULE_WORDS[prefix.group("name")])
    if where:
        if not rest.startswith(f"{place}: "):
            return message
        line: Deferred = later("rule %(rule)s (%(name)s): %(where)s: %(text)s",
                               rule=prefix.group("rule"), name=name, where=place,
                               text=_text(rest[len(place) + 2:]))
    else:
        line = later("rule %(rule)s (%(name)s): %(text)s", rule=prefix.group("rule"),
                     name=name, text=_text(rest))
    # Only ever the same words: a line that would read otherwise is left as it was.
    return line if line == message else message
