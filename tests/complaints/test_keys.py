"""Keys for personal data: rotation without losing anyone, re-keying, and the production check."""

from __future__ import annotations

import pytest
from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import models

from accounts import roles
from accounts.models import AuditEvent
from complaints import crypto, selectors
from complaints.checks import pii_key_errors, refuse_unsafe_keys
from complaints.models import Customer
from complaints.services import CustomerInput, customer_reveal
from complaints.services.keys import keyed_models, pii_rekey
from tests.complaints.conftest import ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db

OLD_HASH, NEW_HASH = "old-hash-key-" + "a" * 40, "new-hash-key-" + "b" * 40
OLD_ENC, NEW_ENC = "old-encryption-key-" + "c" * 40, "new-encryption-key-" + "d" * 40


@pytest.fixture
def old_keys(settings):
    settings.PII_HASH_KEY, settings.PII_HASH_OLD_KEYS = OLD_HASH, []
    settings.PII_ENCRYPTION_KEY, settings.PII_ENCRYPTION_OLD_KEYS = OLD_ENC, []
    return settings


def _rotate(settings, *, keep_old: bool = True) -> None:
    settings.PII_HASH_KEY, settings.PII_HASH_OLD_KEYS = NEW_HASH, [OLD_HASH] if keep_old else []
    settings.PII_ENCRYPTION_KEY, settings.PII_ENCRYPTION_OLD_KEYS = NEW_ENC, [OLD_ENC] if keep_old else []


def _customer_under_old_keys(register) -> Customer:
    case = register(customer=CustomerInput(name="张伟", title="mr", mobile=MOBILE, id_number=ID_NUMBER))
    return Customer.objects.get(pk=case.customer_id)


# Fields named like ciphertext or a keyed hash that are under no PII key: an API key's SHA-256
# (a random key, unkeyed: integrations.services.clients.key_hash).
NOT_PII_KEYED = {("integrations", "ApiKey", "key_hash")}


def test_after_rotation_old_ciphertext_decrypts_and_new_values_use_the_new_key(old_keys):
    token = crypto.encrypt(MOBILE)
    _rotate(old_keys)
    assert crypto.decrypt(token) == MOBILE
    fresh = crypto.encrypt(MOBILE)
    assert crypto.is_current(fresh) and not crypto.is_current(token)
    with pytest.raises(InvalidToken):
        crypto._fernet(OLD_ENC).decrypt(fresh.encode())
    _rotate(old_keys, keep_old=False)
    assert crypto.decrypt(token) == ""  # the old key gone: unreadable, not an error


def test_after_rotation_a_known_customer_is_still_found_and_not_duplicated(old_keys, register):
    customer = _customer_under_old_keys(register)
    _rotate(old_keys)
    assert selectors.customer_lookup(mobile=MOBILE) == customer
    assert selectors.customer_lookup(id_number=ID_NUMBER) == customer
    again = register(customer=CustomerInput(name="张伟", title="mr", mobile="138 1234 5678"))
    assert again.customer_id == customer.pk and Customer.objects.count() == 1
    _rotate(old_keys, keep_old=False)  # dropping the old hash key before re-keying loses them
    assert selectors.customer_lookup(mobile=MOBILE) is None


def test_rekey_moves_every_value_to_the_current_keys_so_the_old_ones_can_go(old_keys, register, org_tree, make_user):
    customers = [_customer_under_old_keys(register)]
    customers += [
        Customer.objects.get(
            pk=register(customer=CustomerInput(name="王" + "甲乙丙丁"[n], mobile=f"1390000000{n}")).customer_id
        )
        for n in range(4)
    ]
    _rotate(old_keys)
    result = pii_rekey(batch_size=2)
    assert (result.rows_checked, result.rows_changed) == (5, 5)
    assert (result.values_reencrypted, result.hashes_recomputed, result.unreadable) == (6, 6, 0)

    _rotate(old_keys, keep_old=False)
    first = Customer.objects.get(pk=customers[0].pk)
    assert selectors.customer_lookup(mobile=MOBILE) == first
    assert selectors.customer_lookup(id_number=ID_NUMBER) == first
    assert selectors.customer_lookup(mobile="13900000003").pk == customers[4].pk
    officer = make_user(roles.HO_OFFICER, org_tree.ho)
    assert customer_reveal(actor=officer, customer=first) == {"mobile": MOBILE, "id_number": ID_NUMBER}
    assert first.mobile_hash == crypto.keyed_hash(MOBILE) != customers[0].mobile_hash


def test_rekey_is_idempotent_and_writes_one_audit_event_per_run(old_keys, register):
    _customer_under_old_keys(register)
    _rotate(old_keys)
    pii_rekey()
    stored = Customer.objects.values_list("mobile_encrypted", "mobile_hash", "id_number_encrypted").get()
    second = pii_rekey()
    assert (second.rows_checked, second.rows_changed, second.values_reencrypted, second.hashes_recomputed) == (
        1,
        0,
        0,
        0,
    )
    assert Customer.objects.values_list("mobile_encrypted", "mobile_hash", "id_number_encrypted").get() == stored
    events = list(AuditEvent.objects.filter(action="pii.rekey").order_by("id"))
    assert len(events) == 2
    assert events[0].detail["values_reencrypted"] == 2 and events[1].detail["values_reencrypted"] == 0
    assert events[0].detail["encryption_key"] == crypto.key_fingerprint(NEW_ENC)
    assert NEW_ENC not in str(events[0].detail) and NEW_HASH not in str(events[0].detail)


def test_rekey_command_leaves_values_no_key_opens_and_fails_loudly(old_keys, register, capsys):
    readable = _customer_under_old_keys(register)
    lost_case = register(customer=CustomerInput(name="李娜", title="ms", mobile="13900001111"))
    lost = Customer.objects.get(pk=lost_case.customer_id)
    lost.mobile_encrypted = crypto._fernet("a-key-nobody-configured").encrypt(b"13900001111").decode()
    lost.save()
    _rotate(old_keys)
    with pytest.raises(CommandError, match="1 encrypted values open with no configured key"):
        call_command("pii_rekey", "--batch-size", "1")
    assert "Checked 2 rows" in capsys.readouterr().out
    lost_after = Customer.objects.get(pk=lost.pk)
    assert (lost_after.mobile_encrypted, lost_after.mobile_hash) == (lost.mobile_encrypted, lost.mobile_hash)
    assert crypto.is_current(Customer.objects.get(pk=readable.pk).mobile_encrypted)
    assert AuditEvent.objects.get(action="pii.rekey").detail["unreadable"] == 1


def test_every_field_with_ciphertext_or_a_keyed_hash_is_re_keyed():
    """Every project app's model (wechat's customer key, integrations' secrets included), listed by
    complaints or contributed through the pii_keys extension point."""
    from voc.extensions import project_apps

    listed = {(k.model, name) for k in keyed_models() for f in k.fields for name in (f.encrypted, f.hashed) if name}
    labels = {config.label for config in project_apps()}
    assert {"wechat", "integrations", "mailintake", "callqa"} <= labels
    found = {
        (model, field.name)
        for model in apps.get_models()
        # the project's own apps: a library's hashes (django-axes' session_hash) are not PII keys
        if model._meta.app_label in labels
        for field in model._meta.get_fields()
        if isinstance(field, models.Field)
        and field.name.endswith(("_encrypted", "_hash", "_ciphertext", "_hmac"))
        and (model._meta.app_label, model.__name__, field.name) not in NOT_PII_KEYED
    }
    assert found <= listed, f"not re-keyed by pii_rekey: {sorted((m.__name__, n) for m, n in found - listed)}"


def test_rekey_re_encrypts_the_apps_contributed_values(old_keys):
    """integrations contributes its webhook secrets: after the run they open with the new key alone."""
    from integrations.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        name="crm", url="https://crm.example/hook", secret_encrypted=crypto.encrypt("s3cret")
    )
    _rotate(old_keys)
    result = pii_rekey()
    assert result.values_reencrypted == 1 and result.unreadable == 0
    _rotate(old_keys, keep_old=False)
    assert crypto.decrypt(WebhookEndpoint.objects.get(pk=endpoint.pk).secret_encrypted) == "s3cret"


# --- the production check ----------------------------------------------------------------

GOOD = {"PII_HASH_KEY": "h" * 20 + "-hash-key-0123456789", "PII_ENCRYPTION_KEY": "e" * 20 + "-enc-key-0123456789"}


def _ids(settings, **overrides) -> set[str]:
    settings.PRODUCTION = True
    settings.PII_HASH_OLD_KEYS = settings.PII_ENCRYPTION_OLD_KEYS = []
    for name, value in (GOOD | overrides).items():
        setattr(settings, name, value)
    return {m.id for m in pii_key_errors()}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, set()),
        ({"PII_HASH_KEY": ""}, {"complaints.E101"}),
        ({"PII_ENCRYPTION_KEY": ""}, {"complaints.E103"}),
        ({"PII_HASH_KEY": crypto.DEV_PII_HASH_KEY}, {"complaints.E102"}),
        ({"PII_ENCRYPTION_KEY": crypto.DEV_PII_ENCRYPTION_KEY}, {"complaints.E104"}),
        ({"PII_HASH_KEY": "change-me"}, {"complaints.E102"}),
        ({"PII_ENCRYPTION_KEY": "short-key-0123"}, {"complaints.E104"}),
        ({"PII_ENCRYPTION_KEY": GOOD["PII_HASH_KEY"]}, {"complaints.E105"}),
        ({"PII_ENCRYPTION_OLD_KEYS": [crypto.DEV_PII_ENCRYPTION_KEY]}, {"complaints.W106"}),
    ],
)
def test_production_check_refuses_missing_development_and_weak_keys(settings, overrides, expected):
    assert _ids(settings, **overrides) == expected


def test_development_needs_no_keys(settings):
    settings.PRODUCTION = False
    settings.PII_HASH_KEY = settings.PII_ENCRYPTION_KEY = ""
    assert pii_key_errors() == []


def test_servers_without_system_checks_refuse_to_start_on_a_key_error(settings):
    _ids(settings, PII_HASH_KEY=crypto.DEV_PII_HASH_KEY)
    with pytest.raises(ImproperlyConfigured, match="VOC_PII_HASH_KEY is the built-in development value"):
        refuse_unsafe_keys()
    _ids(settings, PII_ENCRYPTION_OLD_KEYS=[crypto.DEV_PII_ENCRYPTION_KEY])
    refuse_unsafe_keys()  # a warning does not stop a rotation away from a development key


def test_celery_worker_and_beat_refuse_to_start_on_a_key_error(settings):
    """Celery's signal dispatch logs an Exception from a receiver and goes on, so the worker would
    start with the development keys: the refusal must get through it (a SystemExit). Sent through a
    Celery signal of its own: the real worker_init would also install Django's worker fixup here."""
    from celery import signals
    from celery.utils.dispatch import Signal

    from voc.celery import refuse_unsafe_keys as on_start

    for signal in (signals.worker_init, signals.beat_init):
        assert on_start in signal._live_receivers(None)
    probe = Signal(name="probe")
    probe.connect(on_start, weak=False)
    _ids(settings, PII_HASH_KEY=crypto.DEV_PII_HASH_KEY)
    with pytest.raises(SystemExit, match="complaints.E102"):
        probe.send(sender=None)
    _ids(settings)  # real keys: nothing refused
    assert probe.send(sender=None) == [(on_start, None)]


@pytest.mark.slow
def test_a_celery_worker_process_with_the_development_key_stops(tmp_path):
    """The real worker command, production settings, the built-in hash key: it exits at once
    (before the change it logged the error and went on serving tasks until killed)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOC_PII", "DATABASE_URL", "CELERY_"))}
    env |= {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "s" * 50,
        "VOC_PII_HASH_KEY": crypto.DEV_PII_HASH_KEY,
        "VOC_PII_ENCRYPTION_KEY": GOOD["PII_ENCRYPTION_KEY"],
        "CELERY_BROKER_URL": "memory://",
    }
    command = [sys.executable, "-m", "celery", "-A", "voc", "worker", "--pool=solo", "--concurrency=1"]
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the worker kept running with the development key: {(exc.stderr or b'')[-2000:]!r}")
    assert done.returncode != 0
    assert "complaints.E102" in done.stderr and "VOC_PII_HASH_KEY is the built-in development value" in done.stderr
