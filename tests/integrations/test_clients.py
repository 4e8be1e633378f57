"""Integration clients: a service account calls the API with an API key (stored hashed, shown once,
revocable), scoped by its org like any user, rate-limited per client, last use recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEvent, RoleGrant, User
from integrations import services
from integrations.auth import api_key_lookup
from integrations.models import ApiKey, IntegrationClient
from tests.complaints.factories import ComplaintFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # throttle counters and last-used marks are kept in the cache
    yield
    cache.clear()


@pytest.fixture
def crm(org_tree):
    client = services.integration_client_create(
        name="CRM Beijing", org=org_tree.bj, allowed_actions=["accept", "close"], rate="5/min"
    )
    RoleGrant.objects.create(user=client.service_user, role=roles.BRANCH_MANAGER)
    return client


def api(key: str, scheme: str = "Api-Key") -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return c


def test_a_key_authenticates_as_the_service_user_and_sees_only_its_org(org_tree, crm):
    mine = ComplaintFactory(responsible_org=org_tree.bj_cy)
    ComplaintFactory(responsible_org=org_tree.sh)
    _key, raw = services.api_key_create(client=crm, name="prod")
    for scheme in ("Api-Key", "Bearer"):
        response = api(raw, scheme).get(URL)
        assert response.status_code == 200, response.content
        assert [r["reference"] for r in response.json()["results"]] == [mine.reference]


def test_the_key_is_stored_hashed_and_looked_up_in_constant_time(crm):
    key, raw = services.api_key_create(client=crm)
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert raw not in str(stored) and raw.split("_", 2)[2] not in str(stored)  # the secret may hold "_"
    assert api_key_lookup(raw) == key
    assert api_key_lookup(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert api_key_lookup(f"voc_{key.prefix}_wrong") is None
    assert api_key_lookup("not-a-key") is None


@pytest.mark.parametrize("header", ["Api-Key voc_nope_nope", "Api-Key", "Api-Key a b", "Api-Key \u00e9\u00e9"])
def test_a_bad_key_is_401_not_500(header, crm):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=header)
    response = c.get(URL)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"


def test_a_bad_drf_token_is_401_and_no_credentials_stays_403(crm):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    response = c.get(URL)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    response = APIClient().get(URL)  # nothing presented (a browser whose session ended)
    assert response.status_code == 403 and "WWW-Authenticate" not in response


def test_a_revoked_key_stops_at_once_and_other_keys_keep_working(crm, superuser):
    key, raw = services.api_key_create(client=crm)
    _other, other_raw = services.api_key_create(client=crm)
    assert api(raw).get(URL).status_code == 200
    services.api_key_revoke(key=key, actor=superuser)
    response = api(raw).get(URL)
    assert response.status_code == 401 and "吊销" in response.content.decode()
    assert response["WWW-Authenticate"] == "Api-Key"
    assert api(other_raw).get(URL).status_code == 200


def test_an_inactive_client_or_service_user_is_refused(crm):
    _key, raw = services.api_key_create(client=crm)
    IntegrationClient.objects.filter(pk=crm.pk).update(is_active=False)
    assert api(raw).get(URL).status_code == 401
    IntegrationClient.objects.filter(pk=crm.pk).update(is_active=True)
    User.objects.filter(pk=crm.service_user_id).update(is_active=False)
    assert api(raw).get(URL).status_code == 401


def test_the_service_user_cannot_sign_in_to_the_pages(crm):
    assert not crm.service_user.has_usable_password()


def test_last_use_is_recorded_at_most_once_a_minute(crm, settings):
    key, raw = services.api_key_create(client=crm)
    api(raw).get(URL)
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    api(raw).get(URL)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first  # not written again
    cache.delete(f"integrations:key-used:{key.pk}")  # the minute has passed
    api(raw).get(URL)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first


def test_each_client_is_rate_limited_at_its_own_rate(org_tree, crm):
    _k1, raw1 = services.api_key_create(client=crm)
    _k2, raw2 = services.api_key_create(client=crm)
    other = services.integration_client_create(name="App", org=org_tree.sh, allowed_actions=[], rate="100/min")
    _k3, raw3 = services.api_key_create(client=other)
    codes = [api(raw1 if i % 2 else raw2).get(URL).status_code for i in range(6)]
    assert codes == [200] * 5 + [429]  # both keys count against the one client
    assert api(raw3).get(URL).status_code == 200  # another client has its own budget


def test_allows_names_the_actions_the_client_may_take(crm):
    assert crm.allows("accept") and crm.allows("close")
    assert not crm.allows("route") and not crm.allows("")
    crm.is_active = False
    assert not crm.allows("accept")


def test_unknown_actions_and_duplicate_names_are_refused(org_tree, crm):
    with pytest.raises(ValidationError, match="fly"):
        services.integration_client_create(name="X", org=org_tree.bj, allowed_actions=["fly"])
    with pytest.raises(ValidationError):
        services.integration_client_create(name="CRM Beijing", org=org_tree.bj, allowed_actions=[])


# --- admin: keys shown once, every change audited --------------------------------------------


@pytest.fixture
def superuser(org_tree):
    return User.objects.create_superuser("root", "root@bank.example", "x", org=org_tree.ho)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_admin_creates_a_key_shown_once_and_the_audit_hides_it(admin_client, crm):
    response = admin_client.post(
        reverse("admin:integrations_apikey_add"), {"client": crm.pk, "name": "prod"}, follow=True
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    raw = next(m.split("：", 1)[1] for m in shown if "voc_" in m)
    key = ApiKey.objects.get(client=crm)
    assert api_key_lookup(raw) == key and key.created_by is not None
    page = admin_client.get(reverse("admin:integrations_apikey_change", args=[key.pk]))
    assert raw not in page.content.decode()
    trail = AuditEvent.objects.filter(object_type="integrations.apikey", object_id=str(key.pk))
    assert list(trail.values_list("action", flat=True)) == ["admin.add"]
    assert raw not in str(list(trail.values_list("detail", flat=True)))


def test_admin_revokes_keys_with_an_audit_entry(admin_client, crm):
    key, raw = services.api_key_create(client=crm)
    response = admin_client.post(
        reverse("admin:integrations_apikey_changelist"), {"action": "revoke", "_selected_action": [key.pk]}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by.username == "root"
    assert AuditEvent.objects.filter(
        action="admin.change", object_type="integrations.apikey", object_id=str(key.pk)
    ).exists()
    assert api(raw).get(URL).status_code == 401


def test_admin_adds_a_client_with_its_service_user(admin_client, org_tree):
    response = admin_client.post(
        reverse("admin:integrations_integrationclient_add"),
        {
            "name": "Call centre",
            "org": org_tree.bj.pk,
            "allowed_actions": ["accept"],
            "rate": "60/min",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client = IntegrationClient.objects.get(name="Call centre")
    assert client.service_user.org == org_tree.bj and client.allowed_actions == ["accept"]
    bad = admin_client.post(
        reverse("admin:integrations_integrationclient_add"),
        {"name": "Bad", "org": org_tree.bj.pk, "rate": "lots", "is_active": "on"},
    )
    assert bad.status_code == 200 and not IntegrationClient.objects.filter(name="Bad").exists()


def test_admin_adds_an_endpoint_shows_the_secret_once_and_refuses_internal_urls(admin_client, settings, org_tree):
    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = False
    url = reverse("admin:integrations_webhookendpoint_add")
    refused = admin_client.post(
        url, {"name": "x", "url": "http://127.0.0.1/h", "event_types": ["case.closed"], "is_active": "on"}
    )
    assert refused.status_code == 200 and "内网" in refused.content.decode()
    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = True
    done = admin_client.post(
        url,
        {"name": "CRM", "url": "http://127.0.0.1/h", "event_types": ["case.closed"], "is_active": "on"},
        follow=True,
    )
    shown = [str(m) for m in done.context["messages"]]
    assert any("whsec_" in m for m in shown)
    from integrations.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get(name="CRM")
    assert "whsec_" not in endpoint.secret_encrypted
    assert AuditEvent.objects.filter(
        action="admin.add", object_type="integrations.webhookendpoint", object_id=str(endpoint.pk)
    ).exists()


def test_admin_sees_the_delivery_log_per_endpoint(admin_client, org_tree, staff, new_case, endpoint, receiver):
    case = new_case(org_tree.bj)
    receiver.script.append(503)
    services.deliveries_send_due()
    log = admin_client.get(
        reverse("admin:integrations_deliveryattempt_changelist"), {"endpoint__id__exact": endpoint.pk}
    )
    page = log.content.decode()
    assert log.status_code == 200 and case.reference in page and "HTTP 503" in page
    assert admin_client.get(reverse("admin:integrations_delivery_changelist")).status_code == 200


def test_last_used_is_recorded_with_the_time(crm):
    key, raw = services.api_key_create(client=crm)
    before = timezone.now() - timedelta(seconds=1)
    api(raw).get(URL)
    assert ApiKey.objects.get(pk=key.pk).last_used_at >= before


def test_a_malformed_stored_rate_falls_back_to_the_default_instead_of_a_500(crm):
    IntegrationClient.objects.filter(pk=crm.pk).update(rate="lots")
    _key, raw = services.api_key_create(client=crm)
    assert api(raw).get(URL).status_code == 200


def test_admin_rotates_an_endpoint_secret_shown_once_and_audited(admin_client, endpoint, receiver, org_tree, new_case):
    old = receiver.secret
    response = admin_client.post(
        reverse("admin:integrations_webhookendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    new = next(str(m).rsplit("：", 1)[1] for m in response.context["messages"] if "whsec_" in str(m))
    assert new != old and new.startswith("whsec_")
    assert AuditEvent.objects.filter(
        action="admin.change", object_type="integrations.webhookendpoint", object_id=str(endpoint.pk)
    ).exists()
    new_case(org_tree.bj)
    services.deliveries_send_due()
    assert receiver.rejected == ["signature does not match"]  # the receiver still holds the old secret
    receiver.secret = new
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        services.deliveries_send_due()
    assert len(receiver.events) == 1
