"""Intake's A/B/C code fields use the shared picker (static/js/code-picker.js) rather than a copy
of it in intake.js (issue 14): the page loads it and each field names its search, leaf codes of its
axis only. The behaviour (type a code or words, ↑/↓, Enter) is the intake browser journeys'."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_intake_code_fields_are_shared_pickers(client, agent):
    client.force_login(agent)
    html = client.get(reverse("complaints:intake")).content.decode()
    assert "/static/js/code-picker.js" in html
    search = reverse("complaints:taxonomy_search")
    for axis in "ABC":
        field = f'name="code_{axis.lower()}"'
        assert field in html
        assert f'data-picker-url="{search}?axis={axis}&amp;selectable=1&amp;limit=12"' in html
    # the picker is loaded before intake.js, which relies on its "code-picked" event
    assert html.index("js/code-picker.js") < html.index("complaints/intake.js")
