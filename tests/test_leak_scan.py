"""Leak scan (QUALITY.md, Security): no full card, mobile or ID number in any page, API response,
export or log line.

The bank of ``tests/access_world.py`` is built through the real services with known numbers in
customers (mobile, ID, card), summaries, details, routing notes, remediation items and call
transcripts. Then every route of ``tests/access_registry/`` is walked as each user: every
branch role, and the head-office roles that may not unmask. The unmask roles (HO officer and
approver) see full numbers where that is the point and is audit-logged, so for them only routes
that do not unmask are scanned. Bodies (HTML, JSON, CSV, the XML inside XLSX) and the log
records written meanwhile are searched for a Luhn-valid card number, a mobile number
(1[3-9] and 9 digits) and an 18-character ID number with a valid check character.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile

import pytest
from django.core.cache import cache

from accounts import roles
from complaints.pii import luhn_valid
from tests.access_registry import REGISTRY, Route, body_bytes, body_text, request_route, url_of
from tests.access_world import BRANCH_ORGS, CARDS, ID_NUMBERS, MOBILES, NOTE_CARD, NOTE_MOBILE, id_complete

# Routes where an unmask role is shown full numbers on purpose (each view audit-logged). The
# recording page shows the original transcript only when asked (``?original=1``), so it is scanned.
UNMASKING = {
    "complaints:reveal_customer": "the reveal button: full numbers for unmask roles, logged",
    "integrations:regulator_errors": "a transfer batch's rows to fix, as typed, for the officer who corrects them; logged",
}

# Routes where branch staff who may call the customer are shown the phone number on purpose (the
# reveal is audit-logged; accounts.selectors.can_reveal_mobile), never the ID or card number.
PHONE_ONLY = {
    "complaints:reveal_customer": frozenset({roles.BRANCH_MANAGER, roles.BRANCH_HANDLER}),
}

# Digits next to letters are part of a token (a hex play id, a hash), not a number someone typed.
# Not the decimals of a number ("\d." before): an Excel export's time of day is a fraction such as
# 46364.13162925463, whose digits can read as a mobile number depending on the clock.
_CARD = re.compile(r"(?<![\dA-Za-z])(?<!\d\.)(?:\d[ -]?){12,18}\d(?![\dA-Za-z])")
_MOBILE = re.compile(r"(?<![\dA-Za-z])(?<!\d\.)1[3-9]\d{9}(?![\dA-Za-z])")
_ID = re.compile(r"(?<![\dA-Za-z])(?<!\d\.)\d{17}[\dXx](?![\dA-Za-z])")


def find_numbers(text: str) -> list[str]:
    """Full card (Luhn), mobile and ID numbers (valid check character) in ``text``."""
    found = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.append(f"card {m.group()}")
    found += [f"mobile {m}" for m in _MOBILE.findall(text)]
    found += [f"id {m}" for m in _ID.findall(text) if id_complete(m[:17]) == m.upper()]
    return found


def test_the_detector_finds_the_worlds_numbers_and_not_their_masks():
    assert all(find_numbers(f"卡号{CARDS[o]}") for o in BRANCH_ORGS)
    assert all(find_numbers(f"手机 {MOBILES[o]}。") for o in BRANCH_ORGS)
    assert all(find_numbers(f"身份证{ID_NUMBERS[o]}") for o in BRANCH_ORGS)
    assert find_numbers(f"{NOTE_MOBILE} {NOTE_CARD[:4]} {NOTE_CARD[4:8]} {NOTE_CARD[8:12]} {NOTE_CARD[12:]}")
    assert not find_numbers("卡号 6222********1234 手机 139****8801 身份证 110105********1234 VOC-2026-0000101")
    # an XLSX time stamp's decimals are not a number (this one read as a mobile number before)
    assert not find_numbers('<c r="I2" s="4" t="n"><v>46364.13162925463</v></c>')
    assert find_numbers(f"Tel.{MOBILES['BJ']}. 电话：{MOBILES['BJ']}。")


def scanned_text(resp) -> str:
    if getattr(resp, "streaming", False) and resp.get("Content-Type", "").startswith("audio/"):
        return ""
    if resp.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(body_bytes(resp))) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return body_text(resp)


# The registry test scans every response of its walk (every role, every route). This walk adds
# head office asking for an object of each of the four branch orgs, as a caller without
# unmasking, an auditor, a branch manager and an unmask role (on the routes that do not unmask).
SCANNED_AS = ("agent_ho", "auditor_ho", "branch_manager_bj", "ho_officer_ho")


def _scanned_users(world) -> list:
    by_name = {u.username: u for u in world.users}
    return [by_name[name] for name in SCANNED_AS]


def _targets(route: Route, world, user) -> list:
    if not route.obj:
        return [None]
    orgs = BRANCH_ORGS if user.org.code == "HO" else sorted(world.visible_orgs(user))
    return [obj for org in orgs for obj in world.probes(route.obj, org)[:1]]


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.HEALTH_WORKER_TIMEOUT_S = 0.05
    cache.clear()
    yield
    cache.clear()


def log_leaks(records) -> list[str]:
    return [f"{r.name} {r.levelname}: {hit}" for r in records for hit in find_numbers(r.getMessage())]


@pytest.mark.django_db
def test_no_full_number_in_any_page_api_export_or_log(client, access_world, caplog):
    """Several roles walk every route (the registry test scans every response of its walk too)."""
    world, leaks = access_world, []
    caplog.set_level(logging.DEBUG)
    for user in _scanned_users(world):
        unmasker = user.has_role(*roles.UNMASK_ROLES)
        client.force_login(user)
        for route in REGISTRY:
            if route.skip_leak_scan or (unmasker and route.name in UNMASKING) or route.name == "logout":
                continue
            for obj in _targets(route, world, user):
                resp = request_route(client, route, world, obj)
                if resp.status_code >= 500 and resp.status_code not in route.ok:
                    leaks.append(f"{user.username} {route.id} {url_of(route, obj)}: {resp.status_code}")
                hits = find_numbers(scanned_text(resp))
                if user.has_role(*PHONE_ONLY.get(route.name, ())):  # the audited reveal to call: the phone only
                    hits = [h for h in hits if not h.startswith("mobile ")]
                for hit in hits:
                    leaks.append(f"{user.username} {route.id} {url_of(route, obj)}: {hit}")
    leaks += [f"log {hit}" for hit in log_leaks(caplog.records)]
    assert not leaks, f"{len(leaks)} full numbers shown:\n  " + "\n  ".join(sorted(set(leaks))[:60])


@pytest.mark.django_db
def test_unmasking_routes_are_logged_when_they_unmask(client, access_world):
    """The exception above is only fair if unmasking leaves an audit record."""
    from accounts.models import AuditEvent

    world = access_world
    officer = next(u for u in world.users if u.username == "ho_officer_ho")
    client.force_login(officer)
    case = world.cases["BJS"][0]
    before = AuditEvent.objects.count()
    resp = request_route(client, _route("complaints:reveal_customer"), world, case)
    assert resp.status_code == 200 and MOBILES["BJS"] in resp.content.decode()
    assert AuditEvent.objects.count() == before + 1
    # The scan can see numbers where they are shown: the original transcript, asked for, is logged.
    rec = world.recordings["BJS"][0]
    shown = find_numbers(client.get(url_of(_route("recordings:detail"), rec), {"original": "1"}).content.decode())
    assert f"card {CARDS['BJS']}" in shown and f"mobile {MOBILES['BJS']}" in shown
    assert AuditEvent.objects.count() == before + 2


def _route(name: str) -> Route:
    return next(r for r in REGISTRY if r.name == name)
