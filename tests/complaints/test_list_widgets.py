"""Issue 12: the case list's filter widgets are built by ``list_tags.plain_widget`` in one pass, not
by Django's widget templates (several ms of every list page). Same elements, attributes and text
as Django's rendering, for every field it handles and the values a request can carry."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from complaints.forms import FilterForm
from complaints.templatetags.list_tags import plain_widget

pytestmark = pytest.mark.django_db

FIELDS = ("channel", "bucket", "received_from", "received_to", "sort", "flags")


class _Shape(HTMLParser):
    """Tags with their attributes (order aside) and the text between them, whitespace aside."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.items.append(("<", tag, tuple(sorted(attrs))))

    def handle_endtag(self, tag):
        self.items.append((">", tag))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", data.strip()))


def _shape(html: str) -> list[tuple]:
    parser = _Shape()
    parser.feed(str(html))
    return parser.items


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"channel": "hotline", "bucket": "overdue", "sort": "due", "flags": ["is_repeat", "is_elderly"]},
        {"received_from": "2026-11-01", "received_to": "2026-11-30", "channel": "", "sort": "received"},
        {"received_from": "", "flags": ["is_regulator_referred"], "channel": "app", "sort": "updated"},
        {"channel": "nope", "received_from": "not a date", "flags": ["bogus"]},  # in error: Django's own
    ],
)
def test_plain_widgets_render_what_django_renders(ho_officer, data):
    form = FilterForm(data, user=ho_officer)
    form.is_valid()
    for name in FIELDS:
        bf = form[name]
        ours, django = _shape(plain_widget(bf)), _shape(str(bf))
        assert ours == django, name
        assert ours  # something was rendered


def test_the_list_page_shows_the_chosen_filters(client, ho_officer):
    client.force_login(ho_officer)
    html = client.get("/complaints/", {"channel": "hotline", "flags": "is_repeat", "sort": "due"}).content.decode()
    assert '<option value="hotline" selected>' in html
    assert '<input type="checkbox" name="flags" value="is_repeat" id="id_flags_1" checked>' in html
    assert '<option value="due" selected>' in html
