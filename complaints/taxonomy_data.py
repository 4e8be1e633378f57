"""Complaint classification taxonomy as plain data (no Django imports).

Three axes, after JR/T 0169-2018 (financial consumer complaint classification):
A = channel (where the problem happened), B = business (product), C = cause.
A code is the axis letter plus two digits per level (A01, A0101, B030202), at most
three levels. Axis roots are implicit and are not codes themselves. Parent and level
are derived from the code string.

``keywords_zh`` / ``keywords_en`` are space-separated words a call-centre agent might
type that are *not* already in the name, so the picker can still find the code.

This module is imported by a data migration: edit with care, never renumber a code
(a retired code stays valid on old cases), only add new ones.
"""

from __future__ import annotations

from typing import NamedTuple


class CodeSpec(NamedTuple):
    code: str
    name_zh: str
    name_en: str
    keywords_zh: str = ""
    keywords_en: str = ""

    @property
    def axis(self) -> str:
        return self.code[:1]

    @property
    def level(self) -> int:
        return (len(self.code) - 1) // 2

    @property
    def parent(self) -> str | None:
        return self.code[:-2] if len(self.code) > 3 else None


# Axis roots (implicit, not codes): letter -> (name_zh, name_en).
AXES: dict[str, tuple[str, str]] = {
    "A": ("投诉渠道", "Channel"),
    "B": ("业务类别", "Business"),
    "C": ("投诉原因", "Cause"),
}

_S = CodeSpec

TAXONOMY: tuple[CodeSpec, ...] = (
    # ------------------------------------------------------------------ A: channel
    _S("A01", "网点柜面", "Branch counter", "营业厅 支行 营业部", "outlet office"),
    _S("A0101", "柜台服务", "Teller counter", "柜面 柜员 窗口 临柜 现金柜台", "cashier window desk"),
    _S(
        "A0102",
        "理财及贵宾服务",
        "Wealth / VIP desk",
        "理财经理 客户经理 贵宾室 私人银行",
        "relationship manager private banking priority lounge",
    ),
    _S("A0103", "大堂服务", "Lobby service", "大堂经理 引导 取号 叫号 等候区", "greeter queue ticket floor"),
    _S("A02", "自助设备", "Self-service machines", "自助银行 机具 自助区", "kiosk terminal"),
    _S(
        "A0201",
        "ATM及存取款一体机",
        "ATM / cash recycler",
        "取款机 存款机 提款机 柜员机 吞卡 吞钞",
        "machine cashpoint dispenser swallowed",
    ),
    _S(
        "A0202",
        "智能柜员机",
        "Smart teller machine",
        "智能柜台 超级柜台 STM VTM 自助发卡",
        "stm vtm kiosk terminal",
    ),
    _S("A03", "电子渠道", "Electronic channels", "线上 电子银行", "online digital"),
    _S("A0301", "网上银行", "Online banking", "网银 个人网银 企业网银 U盾 K宝", "internet netbank web token"),
    _S(
        "A0302",
        "电话银行及客服热线",
        "Phone banking / hotline",
        "客服电话 人工客服 语音导航 转人工 来电",
        "call centre center ivr agent telephone",
    ),
    _S("A0303", "手机银行", "Mobile banking app", "客户端 掌上银行 移动银行 APP", "smartphone android ios client"),
    _S(
        "A0304",
        "微信银行及公众平台",
        "WeChat / public platform",
        "公众号 小程序 服务号 订阅号 视频号",
        "weixin mini program official account",
    ),
    _S("A0305", "短信渠道", "SMS", "验证码 动账提醒 余额变动 通知", "text message otp verification notification"),
    _S("A04", "第三方及代理渠道", "Third-party / agent channel", "合作方 外包 中介", "partner agency outsourced"),
    _S(
        "A0401",
        "第三方支付平台",
        "Payment platform",
        "支付宝 微信支付 财付通 云闪付 京东支付",
        "alipay wechat pay unionpay tenpay",
    ),
    _S("A0402", "合作商户", "Partner merchant", "商家 门店 特约商户 POS 收单", "shop store pos acquiring"),
    _S(
        "A0403",
        "外包催收及销售代理",
        "Outsourced collection / sales agent",
        "催收公司 委外 第三方催收 代理销售 地推",
        "vendor collector contractor third party",
    ),
    _S("A99", "其他渠道", "Other channel", "信函 来信 邮件 未知", "letter email mail unknown"),
    # ------------------------------------------------------------------ B: business
    _S("B01", "存款业务", "Deposits", "储蓄 账户", "savings account"),
    _S("B0101", "活期存款", "Demand deposits", "储蓄账户 活期利息 余额 存折", "current savings passbook balance"),
    _S(
        "B0102",
        "定期存款",
        "Time deposits",
        "大额存单 存单 提前支取 整存整取 零存整取",
        "fixed term cd certificate early withdrawal",
    ),
    _S(
        "B0103",
        "开户销户及账户管控",
        "Account opening, closing and restrictions",
        "冻结 止付 非柜面 断卡 睡眠户 限额",
        "freeze frozen dormant suspension limit",
    ),
    _S("B02", "贷款业务", "Loans", "借款 信贷", "lending borrow credit"),
    _S(
        "B0201",
        "个人消费贷款",
        "Personal consumer loans",
        "信用贷 现金贷 装修贷 车贷 教育贷",
        "car auto installment cash",
    ),
    _S(
        "B0202",
        "个人住房贷款",
        "Mortgage",
        "按揭 公积金 提前还款 转贷 二手房 LPR",
        "home housing lpr prepayment property",
    ),
    _S(
        "B0203",
        "经营性贷款",
        "Business loans",
        "经营贷 小微贷款 企业贷款 抵押贷 普惠",
        "sme company enterprise working capital",
    ),
    _S(
        "B0204",
        "贷款征信报送",
        "Credit reporting of loans",
        "逾期记录 上征信 不良记录 信用记录",
        "bureau pboc overdue delinquency",
    ),
    _S("B03", "银行卡", "Bank cards", "卡片", "card"),
    _S("B0301", "借记卡", "Debit card", "储蓄卡 工资卡 一类户 二类户", "savings payroll"),
    _S(
        "B030101",
        "开卡及限额",
        "Opening and limits",
        "办卡 申领 转账限额 日限额 二类户",
        "issue apply daily cap ceiling",
    ),
    _S(
        "B030102",
        "交易争议",
        "Transaction dispute",
        "盗刷 被盗刷 未授权交易 重复扣款 错账",
        "fraud unauthorised unauthorized chargeback skimming double",
    ),
    _S(
        "B030103",
        "借记卡收费",
        "Fees",
        "小额账户管理费 管理费 工本费 卡年费 跨行取款费 短信服务费",
        "maintenance charge withdrawal annual",
    ),
    _S(
        "B030104",
        "挂失及补换卡",
        "Loss and replacement",
        "丢卡 丢失 补办 被偷 到期 消磁",
        "lost stolen replace reissue expired damaged",
    ),
    _S(
        "B030105",
        "冻结及账户受限",
        "Frozen / restricted account",
        "止付 涉诈 断卡 只进不出 限制交易 司法冻结",
        "blocked suspended hold fraud",
    ),
    _S("B0302", "信用卡", "Credit card", "贷记卡 卡中心 准贷记卡", "cardholder creditcard"),
    _S(
        "B030201",
        "申请及审批",
        "Application and approval",
        "办卡 申卡 拒批 被拒 审核进度 激活",
        "apply declined rejected activation",
    ),
    _S(
        "B030202",
        "收费及利息",
        "Fees and interest",
        "年费 手续费 违约金 滞纳金 分期手续费 取现手续费",
        "annual fee late penalty overlimit charge",
    ),
    _S(
        "B030203",
        "账单及交易争议",
        "Statement / transaction dispute",
        "盗刷 对账单 未授权交易 重复扣款 退款",
        "fraud chargeback unauthorised unauthorized refund bill",
    ),
    _S(
        "B030204",
        "还款",
        "Repayment",
        "自动还款 最低还款 逾期 全额还款 入账",
        "autopay minimum overdue due payment",
    ),
    _S(
        "B030205",
        "额度、冻结及用卡",
        "Limit, freeze and card usage",
        "降额 提额 封卡 止付 风控",
        "reduced increase blocked declined suspended",
    ),
    _S("B030206", "销卡", "Card closing", "注销 销户 退卡 溢缴款", "cancel cancellation close terminate"),
    _S(
        "B030207",
        "营销及分期",
        "Marketing and instalments",
        "账单分期 现金分期 积分 权益 赠品 活动",
        "installment emi points rewards promotion cashback",
    ),
    _S(
        "B030208",
        "债务催收",
        "Debt collection",
        "催款 暴力催收 爆通讯录 上门催收 协商还款 停息挂账",
        "collector harassment threat arrears negotiation settlement",
    ),
    _S("B04", "支付结算", "Payments and settlement", "转账 汇款 付款", "transfer payment"),
    _S(
        "B0401",
        "境内转账汇款",
        "Domestic transfer",
        "跨行 转错账 未到账 退汇 大额",
        "wire interbank misdirected delayed remittance",
    ),
    _S(
        "B0402",
        "跨境汇款",
        "Cross-border remittance",
        "国际汇款 境外汇款 SWIFT 电汇 购汇 结汇",
        "international swift overseas wire forex",
    ),
    _S(
        "B0403",
        "快捷支付及第三方支付",
        "Quick / third-party payment",
        "免密支付 代扣 绑卡 支付宝 微信支付 自动扣款",
        "alipay wechat direct debit binding autopay",
    ),
    _S(
        "B0404",
        "生活缴费",
        "Bill payment",
        "水电费 话费 燃气费 物业费 社保",
        "utility utilities phone electricity water gas",
    ),
    _S("B05", "现金服务", "Cash services", "现钞 钱", "money banknote"),
    _S(
        "B0501",
        "存取现金",
        "Cash deposit and withdrawal",
        "提现 取钱 存钱 大额取现 预约取现",
        "withdraw money notes coins large",
    ),
    _S(
        "B0502",
        "残损币兑换",
        "Damaged notes / exchange",
        "残币 破损 零钱 硬币 假币 换零钱",
        "torn counterfeit coins change fake",
    ),
    _S("B0503", "外币现钞", "Foreign currency cash", "外汇 美元 港币 兑换 结汇 购汇", "forex usd dollar fx"),
    _S("B06", "个人金融信息", "Personal financial information", "个人信息 隐私", "data privacy"),
    _S(
        "B0601",
        "征信报告异议",
        "Credit report errors",
        "信用报告 逾期记录 征信修复 不良记录 信用记录",
        "bureau pboc record dispute correction",
    ),
    _S(
        "B0602",
        "信息泄露",
        "Information leakage",
        "隐私 个人信息 泄密 倒卖信息 诈骗电话",
        "leak breach privacy data disclosed",
    ),
    _S(
        "B0603",
        "信息违规使用或营销",
        "Unauthorised use or marketing",
        "未经同意 查询征信 推销 授权 个人信息",
        "consent unauthorized misuse privacy",
    ),
    _S("B07", "理财、基金及保险销售", "Wealth, funds and insurance sales", "代销 投资", "investment"),
    _S(
        "B0701",
        "理财产品",
        "Wealth management products",
        "净值 亏损 赎回 收益 保本 结构性存款",
        "investment loss redemption return yield nav",
    ),
    _S("B0702", "基金", "Funds", "定投 申购 赎回 净值 基金经理", "mutual etf subscription redemption"),
    _S(
        "B0703",
        "代理保险",
        "Agency insurance",
        "保单 退保 分红险 犹豫期 存款变保险 银保",
        "policy bancassurance surrender premium cooling",
    ),
    _S("B0704", "贵金属", "Precious metals", "黄金 金条 积存金 白银 纸黄金", "gold silver bullion bar"),
    _S("B99", "其他业务", "Other business", "未知 杂项", "miscellaneous unknown"),
    # ------------------------------------------------------------------ C: cause
    _S("C01", "服务态度及质量", "Service attitude and quality", "员工 工作人员", "staff employee"),
    _S("C0101", "服务态度", "Attitude", "态度差 不耐烦 推诿 辱骂 冷漠 不礼貌", "rude impolite unfriendly dismissive"),
    _S("C0102", "等候时间过长", "Waiting time", "排队 等太久 效率低 电话打不通", "queue slow long hold"),
    _S(
        "C0103",
        "信息告知错误或不全",
        "Wrong or incomplete information",
        "解释不清 说法不一 答复错误 未告知",
        "misinformed unclear inaccurate advice explanation",
    ),
    _S("C02", "业务操作", "Operations", "办理 手续", "processing handling"),
    _S("C0201", "办理延误", "Delay", "拖延 迟迟 超时 未处理 久拖不决", "late overdue pending slow backlog"),
    _S("C0202", "操作差错", "Operational error", "失误 错账 录错 多扣 漏办", "mistake wrong incorrect typo"),
    _S(
        "C03",
        "收费及定价",
        "Fees and pricing",
        "乱收费 费率 利率 价格 收费标准 多收费",
        "overcharge rate price tariff expensive",
    ),
    _S(
        "C04",
        "合同条款",
        "Contract terms",
        "格式条款 霸王条款 协议 条款不公",
        "agreement clause unfair print",
    ),
    _S("C05", "营销及销售行为", "Marketing and sales practices", "销售人员 营销人员", "selling salesperson"),
    _S(
        "C0501",
        "误导销售",
        "Misleading sales",
        "夸大收益 承诺保本 虚假宣传 飞单 隐瞒风险",
        "misselling misrepresentation false exaggerated guaranteed",
    ),
    _S("C0502", "捆绑搭售", "Bundled sales", "强制购买 强卖 附加条件 搭配销售", "tying forced tie conditional"),
    _S(
        "C0503",
        "营销电话及短信骚扰",
        "Unwanted calls / SMS",
        "骚扰电话 营销短信 推销 电销 退订",
        "spam telemarketing cold nuisance unsubscribe harassment",
    ),
    _S("C06", "系统故障", "System failure", "宕机 瘫痪 崩溃", "outage"),
    _S(
        "C0601",
        "APP及网银故障",
        "App / online banking outage",
        "闪退 无法登录 登录不了 卡顿 打不开 系统升级",
        "crash login down error bug freeze",
    ),
    _S(
        "C0602",
        "机具故障",
        "Machine fault",
        "吞卡 吞钞 死机 坏了 不出钞",
        "broken malfunction jammed swallowed atm pos",
    ),
    _S(
        "C07",
        "催收行为",
        "Debt collection practices",
        "暴力催收 骚扰 威胁 爆通讯录 辱骂",
        "harassment threat abusive collector",
    ),
    _S(
        "C08",
        "产品设计",
        "Product design",
        "规则不合理 功能缺陷 使用不便",
        "rules feature unreasonable inconvenient flaw",
    ),
    _S(
        "C09",
        "政策法规",
        "Policy / regulation",
        "监管规定 反洗钱 实名制 断卡 监管要求",
        "regulatory aml kyc compliance law",
    ),
    _S(
        "C10",
        "信息安全及隐私",
        "Information security / privacy",
        "泄露 个人信息 诈骗 盗号 账户安全",
        "leak breach fraud scam hacked",
    ),
    _S("C99", "其他原因", "Other cause", "未知 杂项", "miscellaneous unknown"),
)

del _S
