"""The default QA rule set (issue 16), each as version 1. Administrators edit them in the admin;
every edit is a new version."""

from django.db import migrations

# key, name, kind, weight, zh phrases, en phrases, params
DEFAULT_RULES = [
    (
        "greeting",
        "开场问候",
        "required_phrase",
        5,
        ["您好", "很高兴为您服务", "欢迎致电"],
        ["thank you for calling", "how may i help you"],
        {"within_first_s": 30},
    ),
    (
        "identity_check",
        "身份核实",
        "required_phrase",
        15,
        ["核实一下您的身份", "验证一下您的身份", "请问您的姓名", "身份证号码后四位"],
        ["verify your identity", "confirm your identity", "may i have your full name"],
        {},
    ),
    (
        "recording_notice",
        "录音告知",
        "required_phrase",
        15,
        ["本次通话将被录音", "本次通话可能会被录音", "通话将全程录音"],
        ["this call may be recorded", "this call will be recorded"],
        {},
    ),
    (
        "closing",
        "结束语",
        "required_phrase",
        5,
        ["感谢您的来电", "还有其他可以帮您的吗", "祝您生活愉快"],
        ["thank you for calling", "anything else i can help you with", "have a nice day"],
        {"within_last_s": 60},
    ),
    (
        "promise_returns",
        "承诺收益",
        "forbidden_phrase",
        30,
        ["保本保息", "稳赚不赔", "稳赚", "保证收益", "零风险"],
        ["guaranteed return", "risk free", "you cannot lose money"],
        {},
    ),
    (
        "blame_customer",
        "指责客户",
        "forbidden_phrase",
        20,
        ["是你自己的问题", "怪你自己", "你自己没看清楚", "谁让你自己"],
        ["it is your own fault", "you should have read it", "that is your problem"],
        {},
    ),
    (
        "full_credentials",
        "索要完整密码或安全码",
        "forbidden_phrase",
        40,
        ["告诉我您的密码", "银行卡密码是多少", "完整的密码", "卡背面的安全码", "验证码告诉我"],
        ["tell me your pin", "what is your password", "the three digits on the back", "your full card number and cvv"],
        {},
    ),
    ("long_silence", "长时间静默", "long_silence", 5, [], [], {"max_s": 10}),
    ("hold", "长时间保持等待", "hold", 5, [], [], {"max_s": 60}),
    ("overtalk", "抢话", "overtalk", 5, [], [], {"min_s": 2.0}),
    ("talk_ratio", "坐席说话占比", "talk_ratio", 5, [], [], {"min": 0.25, "max": 0.75}),
    ("speaking_rate", "语速过快", "speaking_rate", 5, [], [], {"max_zh_cpm": 320, "max_en_wpm": 190}),
]


def seed(apps, schema_editor):
    QaRule = apps.get_model("callqa", "QaRule")
    QaRuleVersion = apps.get_model("callqa", "QaRuleVersion")
    for key, name, kind, weight, zh, en, params in DEFAULT_RULES:
        if QaRule.objects.filter(key=key).exists():
            continue
        rule = QaRule.objects.create(
            key=key,
            name=name,
            kind=kind,
            weight=weight,
            phrases_zh="\n".join(zh),
            phrases_en="\n".join(en),
            params=params,
            active=True,
            version=1,
        )
        QaRuleVersion.objects.create(
            rule=rule,
            version=1,
            name=name,
            kind=kind,
            phrases={"zh": zh, "en": en},
            params=params,
            weight=weight,
            active=True,
        )


def unseed(apps, schema_editor):
    QaRule = apps.get_model("callqa", "QaRule")
    QaRuleVersion = apps.get_model("callqa", "QaRuleVersion")
    keys = [r[0] for r in DEFAULT_RULES]
    QaRuleVersion.objects.filter(rule__key__in=keys, version=1, rule__version=1).delete()
    QaRule.objects.filter(key__in=keys, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("callqa", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
