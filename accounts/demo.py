"""Demo organisations and one demo user per role per relevant org. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from . import roles
from .models import Organisation
from .services import org_upsert, user_upsert

DEMO_PASSWORD = "voc-demo-2026"

BRANCHES = [
    ("BJ", "北京分行", "Beijing Branch", [("BJ-CY", "朝阳支行", "Chaoyang"), ("BJ-HD", "海淀支行", "Haidian")]),
    ("SH", "上海分行", "Shanghai Branch", [("SH-PD", "浦东支行", "Pudong"), ("SH-XH", "徐汇支行", "Xuhui")]),
    ("GZ", "广州分行", "Guangzhou Branch", [("GZ-TH", "天河支行", "Tianhe"), ("GZ-YX", "越秀支行", "Yuexiu")]),
    ("SZ", "深圳分行", "Shenzhen Branch", [("SZ-FT", "福田支行", "Futian"), ("SZ-NS", "南山支行", "Nanshan")]),
    ("CD", "成都分行", "Chengdu Branch", [("CD-JJ", "锦江支行", "Jinjiang"), ("CD-WH", "武侯支行", "Wuhou")]),
]

HEAD_OFFICE_USERS = [
    ("agent", "坐席 王芳", [roles.AGENT]),
    ("ho_officer", "总行专员 刘洋", [roles.HO_OFFICER]),
    ("ho_approver", "总行审批 陈静", [roles.HO_APPROVER]),
    ("ho_listener", "总行听音 赵磊", [roles.LISTENING_MANAGER]),
    ("auditor", "审计 孙丽", [roles.AUDITOR]),
    ("admin", "管理员 周强", [roles.ADMIN]),
]
BRANCH_USERS = [
    ("manager", "主管", [roles.BRANCH_MANAGER]),
    ("handler", "经办", [roles.BRANCH_HANDLER]),
    ("listener", "听音", [roles.LISTENING_MANAGER]),
]
SUB_BRANCH_USERS = [("handler", "经办", [roles.BRANCH_HANDLER])]


@dataclass(frozen=True)
class DemoUser:
    username: str
    roles: tuple[str, ...]
    org_code: str


def seed(stdout=None) -> list[DemoUser]:
    ho = org_upsert(code="HO", name_zh="总行", name_en="Head Office", kind=Organisation.Kind.HEAD_OFFICE, parent=None)
    created: list[DemoUser] = []
    for username, name, role_list in HEAD_OFFICE_USERS:
        user_upsert(
            username=username,
            org=ho,
            roles=role_list,
            password=DEMO_PASSWORD,
            display_name=name,
            is_staff=roles.ADMIN in role_list,
            is_superuser=roles.ADMIN in role_list,
        )
        created.append(DemoUser(username, tuple(role_list), ho.code))
    for code, name_zh, name_en, subs in BRANCHES:
        branch = org_upsert(code=code, name_zh=name_zh, name_en=name_en, kind=Organisation.Kind.BRANCH, parent=ho)
        for suffix, label, role_list in BRANCH_USERS:
            username = f"{code.lower()}_{suffix}"
            user_upsert(
                username=username, org=branch, roles=role_list, password=DEMO_PASSWORD, display_name=f"{name_zh}{label}"
            )
            created.append(DemoUser(username, tuple(role_list), code))
        for sub_code, sub_zh, sub_en in subs:
            sub = org_upsert(
                code=sub_code,
                name_zh=sub_zh,
                name_en=f"{sub_en} Sub-branch",
                kind=Organisation.Kind.SUB_BRANCH,
                parent=branch,
            )
            for suffix, label, role_list in SUB_BRANCH_USERS:
                username = f"{sub_code.lower().replace('-', '_')}_{suffix}"
                user_upsert(
                    username=username,
                    org=sub,
                    roles=role_list,
                    password=DEMO_PASSWORD,
                    display_name=f"{sub_zh}{label}",
                )
                created.append(DemoUser(username, tuple(role_list), sub_code))
    return created
