"""Onboarding a bank: ``load_org`` loads the org tree and staff from YAML/CSV, idempotently and all
or nothing; ``create_admin`` makes the first administrator. No plaintext password anywhere."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts import roles
from accounts.models import AuditEvent, Organisation, User

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
EXAMPLE_FILES = [str(EXAMPLES / "directory.yaml"), str(EXAMPLES / "users.csv")]
ADMIN_PASSWORD = "Kx9-long-admin-pass-2026"


def load(*files, **options) -> str:
    out = io.StringIO()
    call_command("load_org", *[str(f) for f in files], stdout=out, **options)
    return out.getvalue()


def snapshot() -> tuple:
    orgs = list(Organisation.objects.order_by("code").values_list("code", "name_zh", "name_en", "path", "is_active"))
    users = [
        (u.username, u.display_name, u.email, u.org.code, tuple(sorted(u.role_set)), u.is_active, u.password)
        for u in User.objects.select_related("org").order_by("username")
    ]
    return orgs, users


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_example_loads_the_tree_and_users():
    out = load(*EXAMPLE_FILES)
    paths = dict(Organisation.objects.values_list("code", "path"))
    assert paths == {"HO": "HO/", "BJ": "HO/BJ/", "BJ-CY": "HO/BJ/BJ-CY/", "SH": "HO/SH/", "SH-PD": "HO/SH/SH-PD/"}
    assert Organisation.objects.get(code="SH").kind == Organisation.Kind.BRANCH  # 分行
    assert not Organisation.objects.get(code="SH-PD").is_active
    bj = User.objects.get(username="bj_manager")
    assert (bj.org.code, bj.role_set, bj.email) == (
        "BJ",
        {roles.BRANCH_MANAGER, roles.LISTENING_MANAGER},
        "bj.manager@bank.example",
    )
    assert User.objects.get(username="liu_yang").role_set == {roles.HO_OFFICER, roles.LISTENING_MANAGER}
    assert not User.objects.get(username="sh_handler").is_active
    assert not any(u.has_usable_password() for u in User.objects.all())
    assert "5 created" in out
    event = AuditEvent.objects.get(action="directory.load")
    assert event.detail["created_users"] == ["liu_yang", "zhou_qiang", "bj_manager", "cy_handler", "sh_handler"]


def test_a_printed_link_sets_the_password_once(client):
    out = load(*EXAMPLE_FILES)
    link = re.search(r"liu_yang\s+http://[^/]+(/\S+)", out)[1]
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": ADMIN_PASSWORD, "new_password2": ADMIN_PASSWORD})
    assert done.status_code == 302
    assert User.objects.get(username="liu_yang").check_password(ADMIN_PASSWORD)
    again = client.get(link, follow=True)
    assert "new_password1" not in again.content.decode()  # used: the link no longer works


def test_running_again_changes_nothing():
    load(*EXAMPLE_FILES)
    before, events = snapshot(), AuditEvent.objects.count()
    out = load(*EXAMPLE_FILES)
    assert "Nothing to change." in out
    assert "http" not in out  # no new links: nobody was created
    assert snapshot() == before
    assert AuditEvent.objects.count() == events


def test_changed_rows_are_updated_and_a_moved_sub_branch_carries_its_path(tmp_path):
    load(*EXAMPLE_FILES)
    yaml = (EXAMPLES / "directory.yaml").read_text(encoding="utf-8")
    yaml = yaml.replace(
        "name_zh: 朝阳支行, name_en: Chaoyang Sub-branch, kind: sub_branch, parent: BJ",
        "name_zh: 朝阳区支行, kind: sub_branch, parent: SH",
    )
    yaml = yaml.replace("roles: [ho_officer, listening_manager]", "roles: [ho_approver]")
    out = load(write(tmp_path, "directory.yaml", yaml), EXAMPLES / "users.csv")
    cy = Organisation.objects.get(code="BJ-CY")
    assert (cy.name_zh, cy.name_en, cy.path) == ("朝阳区支行", "Chaoyang Sub-branch", "HO/SH/BJ-CY/")
    assert User.objects.get(username="liu_yang").role_set == {roles.HO_APPROVER}
    assert "~ org BJ-CY: name_zh, parent" in out
    assert "~ user liu_yang: roles" in out


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        (
            "username,name,org,roles\nok_user,好,BJ,branch_handler\nbad_user,坏,BJ,auditor\n",
            "users.csv:3: role(s) ['auditor'] are held at head office only",
        ),
        (
            "username,name,org,roles\nok_user,好,BJ,branch_handler\nx,y,NOPE,branch_handler\n",
            "users.csv:3: organisation 'NOPE' is neither",
        ),
        ("username,name,org,roles\nok_user,好,BJ,boss\n", "users.csv:2: unknown role(s) ['boss']"),
        (
            "username,name,email,org,roles\nok_user,好,not-an-email,BJ,branch_handler\n",
            "users.csv:2: e-mail address 'not-an-email'",
        ),
        (
            "username,name,org,roles\nok_user,好,BJ,branch_handler\nOK_USER,又,BJ,branch_handler\n",
            "users.csv:3: username 'OK_USER' already given at users.csv:2",
        ),
        ("username,name,org,roles\nbad name!,好,BJ,branch_handler\n", "users.csv:2: username 'bad name!'"),
    ],
)
def test_a_bad_row_names_its_line_and_nothing_is_applied(tmp_path, csv_text, message):
    tree = EXAMPLES / "directory.yaml"
    with pytest.raises(CommandError) as exc:
        load(tree, write(tmp_path, "users.csv", csv_text))
    assert message in str(exc.value)
    assert "nothing was changed" in str(exc.value)
    assert not Organisation.objects.exists() and not User.objects.exists()


def test_bad_yaml_names_its_line(tmp_path):
    text = "organisations:\n  - {code: HO, name_zh: 总行, kind: head_office}\n  - {code: bj, name_zh: 北京, kind: branch}\n"
    with pytest.raises(CommandError, match=r"directory.yaml:3: a branch needs a parent code"):
        load(write(tmp_path, "directory.yaml", text))
    text = "organisations:\n  - {code: HO, name_zh: 总行, kind: head_office}\n  - {code: SH-XY, name_zh: x, kind: sub_branch, parent: HO}\n"
    with pytest.raises(
        CommandError, match=r"directory.yaml:3: the parent of a sub_branch must be a branch; HO is a head_office"
    ):
        load(write(tmp_path, "directory.yaml", text))
    assert not Organisation.objects.exists()


def test_a_dry_run_reports_and_applies_nothing():
    out = load(*EXAMPLE_FILES, dry_run=True)
    assert "DRY RUN" in out and "+ user bj_manager" in out and "http" not in out
    assert not Organisation.objects.exists() and not User.objects.exists() and not AuditEvent.objects.exists()


def test_users_missing_from_the_file_are_reported_and_deactivated_only_on_request(tmp_path, monkeypatch):
    load(*EXAMPLE_FILES)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", ADMIN_PASSWORD)
    call_command("create_admin", "--noinput", "--username", "chief", stdout=io.StringIO())
    fewer = write(tmp_path, "users.csv", "username,org,roles\nzhou_qiang,HO,auditor\n")

    out = load(EXAMPLES / "directory.yaml", fewer)
    assert "Active users not in the files (kept; --deactivate-missing deactivates them): bj_manager, cy_handler" in out
    assert User.objects.get(username="cy_handler").is_active

    out = load(fewer, deactivate_missing=True)
    assert "Deactivated (not in the files): bj_manager, cy_handler, liu_yang" in out
    assert "Superusers not in the files (never deactivated here): chief" in out
    assert set(User.objects.filter(is_active=True).values_list("username", flat=True)) == {"chief", "zhou_qiang"}
    assert Organisation.objects.count() == 5  # organisations are never removed


def test_create_admin_from_the_environment(monkeypatch, client):
    load(EXAMPLES / "directory.yaml")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", ADMIN_PASSWORD)
    out = io.StringIO()
    call_command("create_admin", "--noinput", "--username", "chief", "--email", "chief@bank.example", stdout=out)
    chief = User.objects.get(username="chief")
    assert (chief.is_superuser, chief.is_staff, chief.org.code, chief.role_set) == (True, True, "HO", {roles.ADMIN})
    assert ADMIN_PASSWORD not in out.getvalue()
    assert chief.check_password(ADMIN_PASSWORD)
    client.force_login(chief)
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action="admin.bootstrap", object_id=str(chief.pk)).exists()

    # Running it again keeps the roles the administrator has gained since.
    User.objects.get(username="chief").role_grants.create(role=roles.AUDITOR)
    call_command("create_admin", "--noinput", "--username", "chief", stdout=io.StringIO())
    assert User.objects.get(username="chief").role_set == {roles.ADMIN, roles.AUDITOR}


def test_create_admin_without_a_password_prints_a_link(monkeypatch):
    load(EXAMPLES / "directory.yaml")
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    out = io.StringIO()
    call_command(
        "create_admin", "--noinput", "--username", "chief", "--base-url", "https://voc.bank.example", stdout=out
    )
    assert not User.objects.get(username="chief").has_usable_password()
    assert "chief\thttps://voc.bank.example/accounts/password/set/" in out.getvalue()


def test_create_admin_refuses_a_weak_password_and_a_missing_head_office(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="load the organisation tree first"):
        call_command("create_admin", "--noinput", "--username", "chief")
    load(EXAMPLES / "directory.yaml")
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("create_admin", "--noinput", "--username", "chief")
    assert not User.objects.filter(username="chief").exists()
