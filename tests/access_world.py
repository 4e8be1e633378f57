"""A small bank built through the real services for the access registry and the leak scan.

Unequal on purpose (QUALITY.md), with org codes where one is a prefix of another, so a
path rule that forgets its trailing separator shows up as a wrong count:

    HO ─┬─ BJ  (1 case) ─┬─ BJ-CY  (2 cases)
        │                └─ BJ-CYN (3 cases)
        └─ BJS (4 cases)

Every case has a call recording, every org one unlinked (suspected-complaint) call; BJ,
BJ-CYN and BJS own 1, 1 and 2 remediation items. Users of every role at head office and
the branch roles at each branch and sub-branch. Customers, summaries, details, routing notes
and transcripts carry known full card (Luhn-valid), mobile and 18-character ID numbers.

Who sees what is written out here by hand (``SUBTREE``), not computed with the path rule
under test.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts import roles
from accounts.models import Organisation, User

BRANCH_ORGS = ("BJ", "BJ-CY", "BJ-CYN", "BJS")
SUBTREE = {
    "HO": frozenset(BRANCH_ORGS) | {"HO"},
    "BJ": frozenset({"BJ", "BJ-CY", "BJ-CYN"}),
    "BJ-CY": frozenset({"BJ-CY"}),
    "BJ-CYN": frozenset({"BJ-CYN"}),
    "BJS": frozenset({"BJS"}),
}
CASES_PER_ORG = {"BJ": 1, "BJ-CY": 2, "BJ-CYN": 3, "BJS": 4}
IMPROVEMENTS_PER_ORG = {"BJ": 1, "BJ-CY": 0, "BJ-CYN": 1, "BJS": 2}
USER_ROLES = {
    "HO": (roles.AGENT, roles.HO_OFFICER, roles.HO_APPROVER, roles.LISTENING_MANAGER, roles.AUDITOR, roles.ADMIN),
    "BJ": (roles.BRANCH_HANDLER, roles.BRANCH_MANAGER, roles.LISTENING_MANAGER),
    "BJ-CY": (roles.BRANCH_HANDLER, roles.LISTENING_MANAGER),
    "BJ-CYN": (roles.BRANCH_HANDLER,),
    "BJS": (roles.BRANCH_HANDLER, roles.BRANCH_MANAGER, roles.LISTENING_MANAGER),
}


def luhn_complete(body: str) -> str:
    """``body`` plus the Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


def id_complete(body17: str) -> str:
    """A mainland resident ID number: 17 digits plus the GB 11643 check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights, strict=True)) % 11]


# Known numbers per org (index = org position): what the leak scan looks for.
MOBILES = {org: f"139{i + 1:02d}{i + 1:02d}88{i + 1:02d}" for i, org in enumerate(BRANCH_ORGS)}
ID_NUMBERS = {org: id_complete(f"11010519800{i + 1}0{i + 1}23{i + 1}") for i, org in enumerate(BRANCH_ORGS)}
CARDS = {org: luhn_complete(f"622202123456{i + 1:03d}") for i, org in enumerate(BRANCH_ORGS)}
NOTE_MOBILE = "15800001234"
NOTE_CARD = luhn_complete("621700000000123")


@dataclass
class World:
    orgs: dict[str, Organisation]
    users: list[User]
    cases: dict[str, list] = field(default_factory=dict)  # org code -> cases
    recordings: dict[str, list] = field(default_factory=dict)  # org code -> linked recordings
    unlinked: dict[str, list] = field(default_factory=dict)  # org code -> unlinked recordings
    improvements: dict[str, list] = field(default_factory=dict)
    mail: dict[str, list] = field(default_factory=dict)  # org code -> mail in its intake queue
    wechat: dict[str, list] = field(default_factory=dict)  # org code -> WeChat messages in its queue
    mobiles: dict[str, str] = field(default_factory=lambda: dict(MOBILES))
    regulator_batch: object = None  # one uploaded regulator transfer file (head office's, no org)

    def org_of(self, user: User) -> str:
        return user.org.code

    def visible_orgs(self, user: User, within: str | None = None) -> frozenset[str]:
        seen = SUBTREE[self.org_of(user)]
        return seen & SUBTREE[within] if within else seen

    def keys(self, what: str, orgs: frozenset[str]) -> set[str]:
        """The keys a list of ``what`` shows for objects of ``orgs`` (see access_registry)."""
        if what == "cases":
            return {c.reference for o in orgs for c in self.cases.get(o, [])}
        if what == "recordings":
            return {f"rec:{r.pk}" for o in orgs for r in self.recordings.get(o, []) + self.unlinked.get(o, [])}
        if what == "unlinked":
            return {f"rec:{r.pk}" for o in orgs for r in self.unlinked.get(o, [])}
        if what == "improvements":
            return {f"imp:{i.pk}" for o in orgs for i in self.improvements.get(o, [])}
        if what == "regulator_cases":
            return {c.reference for o in orgs for c in self.cases.get(o, []) if c.is_regulator_referred}
        if what == "mail":
            return {f"mail:{m.pk}" for o in orgs for m in self.mail.get(o, [])}
        if what == "wechat":
            return {f"wechat:{m.pk}" for o in orgs for m in self.wechat.get(o, [])}
        raise ValueError(what)

    def probes(self, kind: str, org: str) -> list:
        """Objects of ``org`` to ask for by URL."""
        if kind == "case":
            return self.cases[org][:1]
        if kind == "recording":
            return self.recordings[org][:1] + self.unlinked[org][:1]
        if kind == "improvement":
            return self.improvements[org][:1]
        if kind == "regulator_batch":  # not an org's: every branch user must get 404 for it
            return [self.regulator_batch]
        if kind == "customer":  # one customer per org: the org's cases share its mobile number
            return [self.cases[org][0].customer]
        if kind == "mail":
            return self.mail[org][:1]
        if kind == "wechat":
            return self.wechat[org][:1]
        raise ValueError(kind)


def _tiny_wav(freq: int) -> bytes:
    t = np.arange(8000) / 8000
    samples = (np.sin(2 * np.pi * freq * t) * 8000).astype(np.int16)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def _recording(complaint, owner_org, n: int, *, card: str, mobile: str):
    from recordings.models import CallRecording, TranscriptSegment

    sha = f"{n:064d}"
    original = default_storage.save(f"recordings/original/{sha}.wav", ContentFile(_tiny_wav(440)))
    redacted = default_storage.save(f"recordings/redacted/{sha}.wav", ContentFile(_tiny_wav(1000)))
    rec = CallRecording.objects.create(
        complaint=complaint,
        owner_org=owner_org,
        file=original,
        redacted_file=redacted,
        original_name=f"call-{n}.wav",
        size_bytes=16044,
        sha256=sha,
        audio_format="wav",
        duration_s=1.0,
        status=CallRecording.Status.DONE,
        redaction=CallRecording.Redaction.OK,
        suspect=CallRecording.Suspect.OPEN if complaint is None else CallRecording.Suspect.NONE,
        queued_at=timezone.now(),
    )
    # What the pipeline stores: the original words, and a listening text with the numbers removed.
    TranscriptSegment.objects.create(
        recording=rec,
        index=0,
        start=0.0,
        end=1.0,
        text_original=f"my card is {card} and my phone is {mobile} annual fee",
        text_redacted="my card is [card number removed] and my phone is [phone number removed] annual fee",
    )
    return rec


def build_world() -> World:
    """Build the bank through the services (intake, routing, remediation) plus recording rows."""
    from analytics.services import improvement_create, rollup_rebuild
    from complaints.services import CustomerInput, complaint_register
    from tests.accounts.factories import OrganisationFactory, UserFactory
    from workflow.services import case_route

    kinds = Organisation.Kind
    orgs: dict[str, Organisation] = {}
    orgs["HO"] = OrganisationFactory(code="HO", name_zh="总行", kind=kinds.HEAD_OFFICE, parent=None)
    orgs["BJ"] = OrganisationFactory(code="BJ", name_zh="北京分行", kind=kinds.BRANCH, parent=orgs["HO"])
    orgs["BJS"] = OrganisationFactory(code="BJS", name_zh="北京南分行", kind=kinds.BRANCH, parent=orgs["HO"])
    orgs["BJ-CY"] = OrganisationFactory(code="BJ-CY", name_zh="朝阳支行", kind=kinds.SUB_BRANCH, parent=orgs["BJ"])
    orgs["BJ-CYN"] = OrganisationFactory(code="BJ-CYN", name_zh="朝阳南支行", kind=kinds.SUB_BRANCH, parent=orgs["BJ"])

    users = [
        UserFactory(username=f"{role}_{code.lower().replace('-', '_')}", org=orgs[code], roles=(role,))
        for code, held in USER_ROLES.items()
        for role in held
    ]
    by_role = {(u.org.code, next(iter(u.role_set))): u for u in users}
    agent, officer = by_role[("HO", roles.AGENT)], by_role[("HO", roles.HO_OFFICER)]

    world = World(orgs=orgs, users=users)
    # References from VOC-<year>-0000101 on: pages use VOC-2026-0000001 as a placeholder and the
    # API schema as an example, which must not count as naming a case.
    from complaints.models import ReferenceCounter

    ReferenceCounter.objects.update_or_create(year=timezone.localdate().year, defaults={"last": 100})
    received = timezone.now() - timedelta(days=2)
    n_rec = 0
    for i, code in enumerate(BRANCH_ORGS):
        world.cases[code], world.recordings[code] = [], []
        for k in range(CASES_PER_ORG[code]):
            customer = CustomerInput(
                name=f"王{'一二三四'[i]}{'甲乙丙丁'[k]}",
                title="mr",
                mobile=MOBILES[code],
                id_number=ID_NUMBERS[code] if k == 0 else "",
                card_number=CARDS[code] if k == 0 else "",
                home_org=orgs[code],
            )
            # Cases after an org's first came from the regulator (0, 1, 2, 3 per org: unequal).
            regulator = k >= 1
            case = complaint_register(
                actor=agent,
                channel="regulator" if regulator else "hotline",
                regulator_reference=f"JG-{code}-{k}" if regulator else "",
                regulator_received_on=timezone.localdate(received) if regulator else None,
                code_a="A0302",
                code_b="B030202" if k % 2 == 0 else "B0101",
                code_c="C03",
                summary=f"信用卡年费争议 卡号{CARDS[code]} 手机{MOBILES[code]}",
                details=f"客户称未开卡即被收取年费，身份证{ID_NUMBERS[code]}，联系电话 {MOBILES[code]}。",
                customer=customer,
                responsible_org=orgs[code],
                received_at=received,
            )
            case_route(
                complaint_id=case.pk, actor=officer, reason=f"请联系客户 {NOTE_MOBILE}，卡 {NOTE_CARD}", now=received
            )
            case.refresh_from_db()
            world.cases[code].append(case)
            n_rec += 1
            world.recordings[code].append(_recording(case, orgs[code], n_rec, card=CARDS[code], mobile=MOBILES[code]))
        n_rec += 1
        world.unlinked[code] = [_recording(None, orgs[code], n_rec, card=NOTE_CARD, mobile=NOTE_MOBILE)]
        world.improvements[code] = [
            improvement_create(
                actor=officer,
                title=f"{code} 年费整改 {j}",
                owner_org=orgs[code],
                due_date=timezone.localdate() + timedelta(days=30),
                description=f"回访客户 {NOTE_MOBILE}",
            )
            for j in range(IMPROVEMENTS_PER_ORG[code])
        ]
    world.mail = _mail(orgs)
    world.wechat = _wechat(orgs)
    rollup_rebuild()
    world.regulator_batch = _regulator_batch(officer)
    return world


def _regulator_batch(officer):
    """A previewed transfer file: a row that would be new and one with errors that keeps the
    customer's full mobile number as typed (shown only in the error report, to an unmask role)."""
    from integrations.regulator_file import COLUMNS
    from integrations.services.regulator import regulator_batch_preview

    def line(**values) -> str:
        return ",".join(values.get(c.key, "") for c in COLUMNS)

    today = timezone.localdate().isoformat()
    rows = [
        ",".join(c.zh for c in COLUMNS),
        line(regulator_reference="JG-NEW-1", regulator_received_on=today, customer_name="赵一", mobile=NOTE_MOBILE,
             content="年费争议", branch="BJ-CY", code_a="A0302", code_b="B030202", code_c="C03"),
        line(regulator_reference="JG-BAD-1", regulator_received_on="昨天", customer_name="赵二", mobile=NOTE_MOBILE,
             content=f"卡号 {NOTE_CARD}"),
    ]  # fmt: skip
    return regulator_batch_preview(actor=officer, filename="转办.csv", data="\n".join(rows).encode())


def _mail(orgs: dict[str, Organisation]) -> dict[str, list]:
    """One customer mail per branch org (its own complaints mailbox), with numbers and a PDF."""
    from django.test import override_settings

    from mailintake.services import mail_receive
    from tests.mailintake.mail import PDF, multipart_mail

    mailboxes = {f"{code.lower()}@bank.example": code for code in BRANCH_ORGS}
    found = {}
    with override_settings(MAIL_INTAKE_RECIPIENTS=mailboxes):
        for code in BRANCH_ORGS:
            raw = multipart_mail(
                plain=f"卡号 {CARDS[code]}，手机 {MOBILES[code]}，身份证 {ID_NUMBERS[code]}",
                html=None,
                attachments=[('filename="statement.pdf"', "application/pdf", PDF)],
                message_id=f"<world-{code}@example.com>",
            )
            found[code] = [mail_receive(raw=raw, recipient=f"{code.lower()}@bank.example").mail]
    return found


def _wechat(orgs: dict[str, Organisation]) -> dict[str, list]:
    """One customer's WeCom text per branch org (each org's own app), with numbers in it."""
    from django.test import override_settings

    from wechat.messages import Message
    from wechat.services import message_receive

    apps = {str(1000 + i): code for i, code in enumerate(BRANCH_ORGS)}
    found = {}
    with override_settings(WECOM_AGENT_ORGS=apps, WECOM_CORP_ID="ww-world"):
        for agent_id, code in apps.items():
            message = Message(
                to_user="ww-world",
                from_user=f"wm{code.replace('-', '')}customer0001",
                create_time=1,
                msg_type="text",
                msg_id=f"world-{code}",
                content=f"卡号 {CARDS[code]}，手机 {MOBILES[code]}，身份证 {ID_NUMBERS[code]}",
            )
            found[code] = [message_receive(channel="wecom", message=message, agent_id=agent_id).message]
    return found
