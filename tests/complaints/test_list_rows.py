"""The case list's rows are built from strings made once per page (issue 12: per-row
``{% url %}``, ``|date`` and lazy labels were most of the list's CPU); they must read exactly as
the slower forms did: links, dates in the current time zone, labels in the user's language."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from accounts import roles
from complaints.models import Complaint, Customer
from complaints.templatetags.list_tags import url_prefix
from tests.complaints.factories import ComplaintFactory, CustomerFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 17, 30, tzinfo=dt.UTC)  # 01:30 the next day in Beijing


@pytest.mark.parametrize("name", ["workflow:case", "complaints:customer"])
def test_a_url_prefix_plus_the_pk_is_the_url(name):
    for pk in (1, 42, 987654321):
        assert f"{url_prefix(name)}{pk}/" == reverse(name, args=[pk])


def test_a_url_that_does_not_end_in_the_pk_is_refused():
    with pytest.raises(ValueError):
        url_prefix("complaints:saved_view_delete")  # views/<pk>/delete/


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "UTC"])
def test_strftime_reads_as_the_date_filter_in_the_current_time_zone(tz):
    t = Template(
        '{% load list_tags %}{{ v|strftime:"%Y-%m-%d %H:%M" }}|{{ v|date:"Y-m-d H:i" }}|'
        '{{ d|strftime:"%Y-%m-%d"|default:"—" }}|{{ d|date:"Y-m-d"|default:"—" }}|{{ n|strftime:"%m-%d" }}.'
    )
    with timezone.override(tz):
        a, b, c, d, e = t.render(Context({"v": NOW, "d": dt.date(2026, 1, 5), "n": None})).split("|")
    assert a == b and c == d == "2026-01-05" and e == "."
    assert a == ("2026-12-08 01:30" if tz == "Asia/Shanghai" else "2026-12-07 17:30")


def test_labels_follow_the_active_language_once_cached():
    customer = CustomerFactory.build(surname="李", title=Customer.Title.MS)
    case = Complaint(status="closed")
    t = Template("{% load complaint_tags %}{{ c.status|status_label }}")
    with translation.override("zh-hans"):
        zh = (customer.salutation, t.render(Context({"c": case})))
    with translation.override("en"):
        en = (customer.salutation, t.render(Context({"c": case})))
    with translation.override("zh-hans"):
        again = (customer.salutation, t.render(Context({"c": case})))
    assert zh == again == ("李女士", "已办结")
    assert en == ("李Ms", "Closed")


@time_machine.travel(NOW, tick=False)
def test_the_list_rows_link_date_and_label_as_before(client, org_tree, make_user):
    ComplaintFactory(responsible_org=org_tree.bj, customer=CustomerFactory(surname="王"), received_at=NOW)
    client.force_login(make_user(roles.BRANCH_MANAGER, org_tree.bj))
    html = client.get(reverse("complaints:list")).content.decode()
    case = Complaint.objects.get()
    assert f'href="{reverse("workflow:case", args=[case.pk])}"' in html
    assert f'href="{reverse("complaints:customer", args=[case.customer_id])}" data-customer-link>王先生</a>' in html
    assert "2026-12-08 01:30" in html and "12-08 01:30" in html
    if 'name="case"' in html:  # the bulk bar's pick box, named for screen readers
        assert f'aria-label="选择 {case.reference}"' in html


def test_the_pickers_options_read_as_the_template_loops_did(org_tree, make_user):
    """status, organisation and handler options built in Python: the same HTML as the loops they replace."""
    from complaints.forms import FilterForm

    handlers = [make_user(roles.BRANCH_HANDLER, org_tree.bj), make_user(roles.BRANCH_HANDLER, org_tree.bj)]
    handlers[0].display_name = '<b>"&'  # escaped alike
    ctx = Context(
        {
            "statuses": FilterForm.status_choices(),
            "orgs": list(org_tree.ho.__class__.objects.order_by("path")),
            "handlers": handlers,
            "status": "closed",
            "org": org_tree.bj.code,
        }
    )
    loops = Template(
        '{% for value, label in statuses %}<option value="{{ value }}"{% if value == status %} selected{% endif %}>'
        '{{ label }}</option>{% endfor %}|{% for o in orgs %}<option value="{{ o.code }}"{% if o.code == org %} selected'
        "{% endif %}>{% if o.depth > 1 %}　{% endif %}{{ o.name_zh }}</option>{% endfor %}|{% for h in handlers %}"
        '<option value="{{ h.pk }}">{{ h }} · {{ h.org.name_zh }}</option>{% endfor %}'
    )
    tags = Template(
        "{% load list_tags %}{% status_options statuses status %}|{% org_options orgs org %}|{% handler_options handlers %}"
    )
    assert tags.render(ctx) == loops.render(ctx)
    assert "selected" in tags.render(ctx).split("|")[1] and " selected>已办结<" in tags.render(ctx)
