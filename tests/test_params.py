from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from voc.params import id_param


@pytest.mark.parametrize(
    "raw, expected",
    [("42", 42), (" 7 ", 7), ("", None), (None, None), ("²", None), ("٣", None), ("4x", None), ("-1", None),
     ("9" * 19, None)],
)  # fmt: skip
def test_id_param_accepts_ascii_digits_only(raw, expected):
    assert id_param(raw) == expected


@pytest.mark.django_db
def test_a_superscript_digit_in_an_id_is_not_found_not_a_server_error(client, org_tree, make_user):
    client.force_login(make_user(roles.AGENT, org_tree.ho))
    assert client.get(reverse("complaints:intake"), {"recording": "²"}).status_code == 404
    client.force_login(make_user(roles.AUDITOR, org_tree.ho))
    assert client.get(reverse("recordings:plays"), {"recording": "²"}).status_code == 200
