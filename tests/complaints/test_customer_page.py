"""The customer page (客户视图, issue 14 customer 360): one customer's cases in the viewer's scope.

Unequal on purpose: 张伟 has three cases under 北京分行 (one at BJ, two at its sub-branch 朝阳支行)
and two at 上海分行, with B030202 once on each side of the border and twice in all. Each user sees
exactly their subtree's cases; every figure is counted over those alone (a repeat of a B code is
not reported from another branch's case), and a customer none of whose cases the user may see is
a 404 like one that does not exist.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts import roles
from accounts.models import AuditEvent, Organisation
from complaints.models import Complaint, Customer
from complaints.services import CustomerInput, complaint_register
from tests.access_registry import REF_RE
from tests.recordings.conftest import make_recording

pytestmark = pytest.mark.django_db

MOBILE, ID_NUMBER, OTHER_MOBILE = "13912345678", "11010519491231002X", "13700001111"
SH = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _clock(pin_clock, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the recordings' small audio files
    pin_clock(TODAY)


def _register(agent, org, *, code_b="B030202", days_ago=3, mobile=MOBILE, channel="hotline", **kw):
    return complaint_register(
        actor=agent,
        channel=channel,
        code_a="A0302",
        code_b=code_b,
        code_c="C03",
        summary=f"{org.name_zh}的投诉 {code_b}",
        customer=CustomerInput(name="张伟", title="mr", mobile=mobile, id_number=ID_NUMBER if mobile == MOBILE else ""),
        responsible_org=org,
        received_at=datetime(2026, 12, 7, 9, tzinfo=SH) - timedelta(days=days_ago),
        **kw,
    )


@pytest.fixture
def cases(agent, org_tree):
    t = org_tree
    return {
        "BJ": [_register(agent, t.bj, code_b="B0101", days_ago=400)],  # older than 12 months
        "BJ-CY": [
            _register(agent, t.bj_cy, code_b="B030202", days_ago=40, channel="counter"),
            _register(agent, t.bj_cy, code_b="B0101", days_ago=10),
        ],
        "SH": [
            _register(agent, t.sh, code_b="B030202", days_ago=20, is_regulator_referred=True),
            _register(agent, t.sh, code_b="B0201", days_ago=5),
        ],
    }


@pytest.fixture
def people(org_tree, make_user):
    t = org_tree
    return {
        "ho": make_user(roles.HO_OFFICER, t.ho, username="ho_off"),
        "bj": make_user(roles.BRANCH_MANAGER, t.bj, username="bj_mgr"),
        "bj_cy": make_user(roles.BRANCH_HANDLER, t.bj_cy, username="cy_hdl"),
        "sh": make_user(roles.BRANCH_MANAGER, t.sh, username="sh_mgr"),
    }


SEES = {"ho": ("BJ", "BJ-CY", "SH"), "bj": ("BJ", "BJ-CY"), "bj_cy": ("BJ-CY",), "sh": ("SH",)}


def _page(client, user, customer_id):
    client.force_login(user)
    return client.get(reverse("complaints:customer", args=[customer_id]))


def _figure(html: str, key: str) -> int:
    return int(re.search(rf'id="count-{key}">(\d+)', html).group(1))


@pytest.mark.parametrize("who", list(SEES))
def test_each_user_sees_exactly_their_scopes_cases_and_counts_only_those(client, cases, people, who):
    customer_id = cases["BJ"][0].customer_id
    assert Customer.objects.count() == 1  # one customer across both branches
    html = _page(client, people[who], customer_id).content.decode()
    visible = [c for org in SEES[who] for c in cases[org]]
    assert set(REF_RE.findall(html)) == {c.reference for c in visible}
    assert _figure(html, "total") == len(visible)
    in_year = [c for c in visible if c.received_at >= datetime(2025, 12, 7, 10, tzinfo=SH)]
    assert _figure(html, "recent") == len(in_year)
    assert _figure(html, "open") == len(visible)  # registered, none closed
    # B030202 twice in 12 months bank-wide, but once on each side: only head office sees a repeat.
    repeated = html.split('id="repeated-codes"')[1].split("</div>")[0].split("</p>")[0]
    assert ("B030202" in repeated) == (who == "ho")
    regulator = re.search(r'id="count-regulator">(.*?)</dd>', html).group(1)
    assert ("1" in regulator) == ("SH" in SEES[who])
    assert MOBILE not in html and ID_NUMBER not in html and "139****5678" in html


def test_a_customer_with_no_case_in_scope_is_a_404_like_one_that_does_not_exist(client, agent, org_tree, people):
    sh_only = _register(agent, org_tree.sh, mobile=OTHER_MOBILE)
    missing = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    for who in ("bj", "bj_cy"):
        resp = _page(client, people[who], sh_only.customer_id)
        gone = _page(client, people[who], missing)
        assert resp.status_code == gone.status_code == 404
        body = resp.content.decode()
        assert sh_only.reference not in body and "张先生" not in body and "137****1111" not in body
    assert _page(client, people["sh"], sh_only.customer_id).status_code == 200


def test_the_repeat_of_an_out_of_scope_case_is_not_named(client, agent, org_tree, people):
    first = _register(agent, org_tree.sh, days_ago=30)
    again = _register(agent, org_tree.bj_cy, days_ago=2)
    Complaint.objects.filter(pk=again.pk).update(repeat_of=first, is_repeat=True)
    html = _page(client, people["bj_cy"], again.customer_id).content.decode()
    assert again.reference in html and first.reference not in html and "重复" in html and "前次投诉" not in html
    html = _page(client, people["ho"], again.customer_id).content.decode()
    earlier = f'<dt>前次投诉</dt><dd><a href="{reverse("workflow:case", args=[first.pk])}">{first.reference}</a></dd>'
    assert earlier in html


def test_outcome_redress_and_how_the_customer_was_told(client, cases, people, org_tree):
    from workflow.models import Decision

    case = cases["BJ-CY"][0]
    # Fixture shortcut: a case decided and closed (the workflow's steps are tested in tests/workflow).
    Complaint.objects.filter(pk=case.pk).update(
        status="closed",
        result="upheld",
        redress_amount=Decimal("300"),
        redress_type="refund",
        closed_at=case.received_at,
    )
    Decision.objects.create(
        complaint=case,
        text="退还年费",
        proposed_result="upheld",
        redress_amount=Decimal("300"),
        redress_type="refund",
        author=people["bj_cy"],
        review=Decision.Review.APPROVED,
        informed_on=date(2026, 11, 20),
        informed_via="phone",
    )
    html = _page(client, people["bj"], case.customer_id).content.decode()
    assert _figure(html, "open") == 2
    assert "成立" in html and "300.00" in html and "退款" in html
    told = re.search(r'id="told-via">(.*?)</p>', html, re.S).group(1)
    assert "电话 × 1" in told
    channels = re.search(r'id="contact-channels">(.*?)</dd>', html, re.S).group(1)
    assert "网点柜面 × 1" in channels and "客服热线 × 2" in channels
    # another branch sees neither the decision nor the counter visit
    html = _page(client, people["sh"], case.customer_id).content.decode()
    assert 'id="told-via"' not in html and "网点柜面" not in re.search(
        r'id="contact-channels">(.*?)</dd>', html, re.S
    ).group(1)


def test_recordings_follow_the_listening_rules(client, cases, people):
    ok = make_recording(cases["BJ-CY"][0], tag="ok")
    failed = make_recording(cases["BJ-CY"][1], tag="bad", redacted=False)
    foreign = make_recording(cases["SH"][0], tag="sh")
    html = _page(client, people["bj_cy"], ok.complaint.customer_id).content.decode()
    rows = dict(re.findall(r'data-recording="(\d+)">(.*?)</li>', html, re.S))
    assert set(rows) == {str(ok.pk), str(failed.pk)} and f"/recordings/{foreign.pk}/" not in html
    assert "脱敏录音" in rows[str(ok.pk)] and "原始录音" not in rows[str(ok.pk)]
    assert "可收听" not in rows[str(failed.pk)] and "无法可靠脱敏" in rows[str(failed.pk)]
    html = _page(client, people["ho"], ok.complaint.customer_id).content.decode()  # an unmask role
    rows = dict(re.findall(r'data-recording="(\d+)">(.*?)</li>', html, re.S))
    assert "原始录音" in rows[str(ok.pk)] and "原始录音" in rows[str(failed.pk)] and str(foreign.pk) in rows


def test_the_number_is_revealed_only_through_the_audited_reveal_of_a_case(client, cases, people, org_tree):
    case = cases["BJ-CY"][1]
    Complaint.objects.filter(pk=case.pk).update(assigned_to=people["bj_cy"], status="investigating")
    html = _page(client, people["bj_cy"], case.customer_id).content.decode()
    url = reverse("complaints:reveal_customer", args=[case.reference])
    assert f'hx-post="{url}"' in html and MOBILE not in html
    shown = client.post(url).content.decode()
    assert MOBILE in shown and ID_NUMBER not in shown
    event = AuditEvent.objects.get(action="customer.unmask")
    assert event.detail["case_reference"] == case.reference and event.actor == people["bj_cy"]
    # the branch manager over the case (its sub-branch is in his subtree) reveals it too, audited;
    # the other branch's manager, who sees only his own cases of the customer, not from this one
    html = _page(client, people["bj"], case.customer_id).content.decode()
    card = html.split('id="customer-identity-card"')[1].split("</section>")[0]
    assert f'hx-post="{url}"' in card and MOBILE not in card  # the newest case of his he may reveal from
    client.force_login(people["sh"])
    assert client.post(url).status_code == 404
    assert AuditEvent.objects.filter(action="customer.unmask").count() == 1


def test_reached_from_the_case_page_and_the_list(client, cases, people):
    case = cases["BJ-CY"][0]
    client.force_login(people["bj_cy"])
    url = reverse("complaints:customer", args=[case.customer_id])
    assert f'href="{url}" id="customer-link"' in client.get(reverse("workflow:case", args=[case.pk])).content.decode()
    assert f'href="{url}" data-customer-link' in client.get(reverse("complaints:list")).content.decode()


def test_in_english(client, cases, people):
    client.force_login(people["ho"])
    client.cookies["django_language"] = "en"
    html = client.get(reverse("complaints:customer", args=[cases["BJ"][0].customer_id])).content.decode()
    assert "Customer view" in html and "Last 12 months" in html and "Contact preferences" in html
    assert "客户视图" not in html and "近12个月" not in html and "联系偏好" not in html


@pytest.mark.parametrize("who", ["ho", "bj_cy"])
def test_a_fixed_number_of_queries_whatever_the_customer_holds(
    client, agent, org_tree, people, who, django_assert_max_num_queries
):
    from workflow.models import Decision

    def build(mobile: str, n: int) -> int:
        made = [_register(agent, org_tree.bj_cy, mobile=mobile, days_ago=1 + i) for i in range(n)]
        for c in made:
            make_recording(c, tag=f"q{c.pk}")
            Decision.objects.create(
                complaint=c, text="t", proposed_result="upheld", author=agent, review="approved", informed_via="sms"
            )
        return made[0].customer_id

    one, many = build("13800000001", 1), build("13800000002", 30)
    client.force_login(people[who])
    client.get(reverse("complaints:customer", args=[one]))  # warm the taxonomy cache
    with django_assert_max_num_queries(QUERY_BUDGET) as small:
        assert client.get(reverse("complaints:customer", args=[one])).status_code == 200
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("complaints:customer", args=[many])).status_code == 200


# session, user, the customer, the cases shown, one grouped count over all visible cases, the cards,
# the workflow's decisions and the recordings panel's rows: the same for 1 case or 30.
QUERY_BUDGET = 8


def test_reached_from_the_intake_lookup_only_when_a_case_is_in_scope(client, cases, org_tree, make_user):
    """The intake lookup reaches the whole bank's customers; the link to the customer page is offered
    only with cases the agent may see (the page would be a 404 otherwise)."""
    url = reverse("complaints:customer", args=[cases["BJ"][0].customer_id])
    for org, linked in ((org_tree.bj_cy, True), (make_org_without_cases(org_tree), False)):
        client.force_login(make_user(roles.BRANCH_HANDLER, org, username=f"desk_{org.code}"))
        html = client.post(reverse("complaints:intake_customer"), {"mobile": MOBILE}).content.decode()
        assert "张先生" in html  # found either way, as before
        assert (f'href="{url}"' in html) is linked


def make_org_without_cases(org_tree):
    from tests.accounts.factories import OrganisationFactory

    return OrganisationFactory(code="GZ", name_zh="广州分行", kind=Organisation.Kind.BRANCH, parent=org_tree.ho)
