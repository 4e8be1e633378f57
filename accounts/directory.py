"""Reading the bank's directory (organisation tree and staff) from files, for ``manage.py load_org``.

Pure parsing and row-level checks: no database here. Every row keeps the file and line it came
from, so a problem found now or while applying (``accounts.services.directory_apply``) names it.
The format is documented in docs/onboarding.md, with examples beside it.

- YAML (``.yaml``/``.yml``): a mapping with ``organisations:`` and/or ``users:`` lists.
- CSV (``.csv``, UTF-8, an Excel BOM is fine): organisations when the header has ``code`` and
  ``kind``, users when it has ``username``. Roles in CSV are separated by ``;`` or ``|``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from . import roles as role_names
from .models import Organisation, org_code_validator

# Accepted spellings of the level, so a sheet exported in Chinese loads as it is.
KINDS = {
    "head_office": Organisation.Kind.HEAD_OFFICE,
    "总行": Organisation.Kind.HEAD_OFFICE,
    "branch": Organisation.Kind.BRANCH,
    "分行": Organisation.Kind.BRANCH,
    "sub_branch": Organisation.Kind.SUB_BRANCH,
    "支行": Organisation.Kind.SUB_BRANCH,
}
PARENT_KIND = {
    Organisation.Kind.HEAD_OFFICE: None,
    Organisation.Kind.BRANCH: Organisation.Kind.HEAD_OFFICE,
    Organisation.Kind.SUB_BRANCH: Organisation.Kind.BRANCH,
}
ORG_FIELDS = {"code", "name_zh", "name_en", "kind", "parent", "active"}
USER_FIELDS = {"username", "name", "email", "org", "roles", "active"}
_TRUE = {"true", "yes", "1", "y", "是", "启用"}
_FALSE = {"false", "no", "0", "n", "否", "停用"}


class DirectoryError(Exception):
    """One or more problems, each naming its file and line. Nothing has been applied."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class OrgRow:
    where: str  # "orgs.yaml:12"
    code: str
    name_zh: str
    name_en: str | None  # None: leave as it is
    kind: str
    parent: str  # parent code, "" for head office
    active: bool | None  # None: leave as it is


@dataclass(frozen=True)
class UserRow:
    where: str
    username: str
    name: str | None  # None: leave as it is
    email: str | None
    org: str
    roles: frozenset[str]
    active: bool | None


@dataclass
class Directory:
    orgs: list[OrgRow] = field(default_factory=list)
    users: list[UserRow] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _flag(value: Any, where: str, problems: list[str]) -> bool | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(f"{where}: active must be true or false, not {value!r}")
    return None


def _roles(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else _text(value).replace("|", ";").replace(",", ";").split(";")
    return [_text(r) for r in items if _text(r)]


def _org_row(raw: dict[str, Any], where: str, problems: list[str]) -> OrgRow | None:
    unknown = set(raw) - ORG_FIELDS
    if unknown:
        problems.append(f"{where}: unknown organisation field(s) {sorted(unknown)}; expected {sorted(ORG_FIELDS)}")
        return None
    code, name_zh, kind_text = _text(raw.get("code")).upper(), _text(raw.get("name_zh")), _text(raw.get("kind"))
    parent = _text(raw.get("parent")).upper()
    before = len(problems)
    try:
        org_code_validator(code)
    except ValidationError:
        problems.append(f"{where}: organisation code {code!r} must look like HO, BJ or BJ-CY")
    if not name_zh:
        problems.append(f"{where}: name_zh (the Chinese name) is required")
    elif len(name_zh) > 100 or len(_text(raw.get("name_en"))) > 100:
        problems.append(f"{where}: names are limited to 100 characters")
    kind = KINDS.get(kind_text.lower()) or KINDS.get(kind_text)
    if kind is None:
        problems.append(f"{where}: kind {kind_text!r} must be head_office, branch or sub_branch (总行/分行/支行)")
    elif kind == Organisation.Kind.HEAD_OFFICE and parent:
        problems.append(f"{where}: the head office has no parent (got {parent!r})")
    elif kind != Organisation.Kind.HEAD_OFFICE and not parent:
        problems.append(f"{where}: a {kind} needs a parent code")
    active = _flag(raw.get("active"), where, problems)
    if len(problems) > before:
        return None
    return OrgRow(where, code, name_zh, _text(raw.get("name_en")) or None, kind, parent, active)


def _user_row(raw: dict[str, Any], where: str, problems: list[str]) -> UserRow | None:
    unknown = set(raw) - USER_FIELDS
    if unknown:
        problems.append(f"{where}: unknown user field(s) {sorted(unknown)}; expected {sorted(USER_FIELDS)}")
        return None
    username, name, email = _text(raw.get("username")), _text(raw.get("name")), _text(raw.get("email"))
    org = _text(raw.get("org")).upper()
    wanted = _roles(raw.get("roles"))
    before = len(problems)
    try:
        if not username or len(username) > 150:
            raise ValidationError("length")
        UnicodeUsernameValidator()(username)
    except ValidationError:
        problems.append(f"{where}: username {username!r} must be 1-150 letters, digits and @.+-_")
    if len(name) > 50:
        problems.append(f"{where}: name is limited to 50 characters")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"{where}: e-mail address {email!r} is not valid")
    if not org:
        problems.append(f"{where}: org (the organisation code) is required")
    unknown_roles = sorted(set(wanted) - set(role_names.ROLE_LABELS))
    if unknown_roles:
        problems.append(f"{where}: unknown role(s) {unknown_roles}; known: {sorted(role_names.ROLE_LABELS)}")
    if not wanted:
        problems.append(f"{where}: at least one role is required")
    active = _flag(raw.get("active"), where, problems)
    if len(problems) > before:
        return None
    return UserRow(where, username, name or None, email or None, org, frozenset(wanted), active)


class _LineLoader:
    """A YAML safe loader that remembers the line each mapping starts on (key ``__line__``)."""

    @staticmethod
    def load(text: str) -> Any:
        import yaml

        class Loader(yaml.SafeLoader):
            pass

        def mapping(loader, node, deep=False):
            data = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
            data["__line__"] = node.start_mark.line + 1
            return data

        Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
        return yaml.load(text, Loader=Loader)  # a SafeLoader subclass: no arbitrary objects


def _read_yaml(name: str, text: str, directory: Directory, problems: list[str]) -> None:
    import yaml

    try:
        data = _LineLoader.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problems.append(f"{name}{line}: not valid YAML ({getattr(exc, 'problem', exc)})")
        return
    if not isinstance(data, dict) or not ({"organisations", "users"} & set(data)):
        problems.append(f"{name}: expected a mapping with 'organisations:' and/or 'users:' lists")
        return
    extra = set(data) - {"organisations", "users", "__line__"}
    if extra:
        problems.append(f"{name}: unknown top-level key(s) {sorted(extra)}")
    for key, parse, out in (("organisations", _org_row, directory.orgs), ("users", _user_row, directory.users)):
        items = data.get(key) or []
        if not isinstance(items, list):
            problems.append(f"{name}: '{key}' must be a list")
            continue
        for item in items:
            if not isinstance(item, dict):
                problems.append(f"{name}: each entry under '{key}' must be a mapping, not {item!r}")
                continue
            where = f"{name}:{item.pop('__line__')}"
            row = parse(item, where, problems)
            if row is not None:
                out.append(row)


def _read_csv(name: str, text: str, directory: Directory, problems: list[str]) -> None:
    reader = csv.DictReader(io.StringIO(text))
    header = {(h or "").strip() for h in reader.fieldnames or []}
    if "username" in header:
        parse, out = _user_row, directory.users
    elif {"code", "kind"} <= header:
        parse, out = _org_row, directory.orgs
    else:
        problems.append(f"{name}:1: header must name 'username' (users) or 'code' and 'kind' (organisations)")
        return
    line = reader.line_num
    for raw in reader:
        where = f"{name}:{line + 1}"
        line = reader.line_num
        if None in raw:
            problems.append(f"{where}: more values than header columns")
            continue
        cleaned = {(k or "").strip(): v for k, v in raw.items() if (v or "").strip()}
        if not cleaned:
            continue  # blank line
        row = parse(cleaned, where, problems)
        if row is not None:
            out.append(row)


def directory_read(paths: list[Path]) -> Directory:
    """Parse and check every file; raise ``DirectoryError`` listing every problem found."""
    directory, problems = Directory(), []
    for path in paths:
        name = path.name
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{name}: cannot be read as UTF-8 text ({exc})")
            continue
        directory.sources.append(name)
        suffix = path.suffix.lower()
        if suffix in {".yaml", ".yml"}:
            _read_yaml(name, text, directory, problems)
        elif suffix == ".csv":
            _read_csv(name, text, directory, problems)
        else:
            problems.append(f"{name}: expected a .yaml, .yml or .csv file")
    for label, rows, key in (("organisation code", directory.orgs, "code"), ("username", directory.users, "username")):
        first: dict[str, str] = {}
        for row in rows:
            value = getattr(row, key).lower() if key == "username" else getattr(row, key)
            if value in first:
                problems.append(f"{row.where}: {label} {getattr(row, key)!r} already given at {first[value]}")
            first.setdefault(value, row.where)
    if problems:
        raise DirectoryError(problems)
    return directory
