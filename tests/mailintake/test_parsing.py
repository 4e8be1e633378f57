"""Reading mail as the complaint desk needs it (mailintake/parsing.py, pure: no database)."""

from __future__ import annotations

import base64

import pytest

from mailintake.parsing import MailRefused, attachment_refusal, html_to_text, parse_message, sniff
from tests.mailintake.mail import PDF, b64word, multipart_mail, raw_mail


def test_a_plain_utf8_mail_gives_sender_subject_body_and_thread_headers():
    parsed = parse_message(raw_mail(headers="In-Reply-To: <a@bank.example>\r\nReferences: <x@y> <a@bank.example>"))
    assert (parsed.sender_name, parsed.sender_address) == ("张伟", "zhang.wei@example.com")
    assert parsed.subject == "信用卡年费投诉"
    assert parsed.body == "我的信用卡未开卡就被收了年费，请退还。"
    assert parsed.message_id == "<m1@example.com>" and parsed.fingerprint == "mid:<m1@example.com>"
    assert parsed.thread_ids == ["<a@bank.example>", "<x@y>"]
    assert parsed.sent_at.isoformat() == "2026-12-07T09:30:00+08:00"
    assert parsed.auto_reason == ""


def test_a_gb2312_subject_with_a_gbk_only_character_is_read_whole():
    # 镕 (U+9555) is in GBK, not in GB2312: mail labelled GB2312 carries it all the time, and
    # Python's strict gb2312 codec would refuse the subject.
    encoded = base64.b64encode("朱镕基先生的投诉".encode("gbk")).decode()
    with pytest.raises(UnicodeDecodeError):
        "朱镕基先生的投诉".encode("gbk").decode("gb2312")
    parsed = parse_message(raw_mail(subject=f"=?gb2312?B?{encoded}?="))
    assert parsed.subject == "朱镕基先生的投诉"


def test_gbk_and_split_utf8_encoded_words_and_raw_8bit_headers():
    assert parse_message(raw_mail(subject=b64word("手机银行转账失败", "GBK"))).subject == "手机银行转账失败"
    # one subject in two encoded words: the words join without the folding space
    split = f"{b64word('信用卡', 'utf-8')}\r\n {b64word('盗刷', 'utf-8')}"
    assert parse_message(raw_mail(subject=split)).subject == "信用卡盗刷"
    raw = raw_mail(subject="PLACEHOLDER").replace(b"PLACEHOLDER", "未经编码的主题".encode())
    assert parse_message(raw).subject == "未经编码的主题"
    raw_gbk = raw_mail(subject="PLACEHOLDER").replace(b"PLACEHOLDER", "国标码主题".encode("gbk"))
    assert parse_message(raw_gbk).subject == "国标码主题"


def test_a_gbk_body_labelled_gb2312_is_read():
    assert parse_message(raw_mail(body="朱镕基", charset="gb2312")).body == "朱镕基"


@pytest.mark.parametrize(
    ("charset", "body"),
    [("utf-8", b"\xff\xfe bad"), ("x-bogus", b"\xb2\xe2\xca\xd4\xff"), ("us-ascii", b"\x80\x80\xff")],
)
def test_a_body_that_does_not_decode_is_refused_with_554(charset, body):
    raw = (
        b"From: a@example.com\r\nTo: complaints@bank.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(body)
    )
    with pytest.raises(MailRefused) as refused:
        parse_message(raw)
    assert refused.value.status.startswith("554 5.6.0")


def test_an_unknown_charset_label_on_utf8_text_is_read_as_utf8():
    raw = raw_mail(body="正文", charset="utf-8").replace(b"charset=utf-8", b"charset=x-bogus")
    assert parse_message(raw).body == "正文"


def test_a_mail_without_from_is_refused_with_550():
    with pytest.raises(MailRefused) as refused:
        parse_message(raw_mail(sender=""))
    assert refused.value.status == "550 5.6.0 The message has no From address"
    with pytest.raises(MailRefused):
        parse_message(raw_mail(sender="undisclosed-recipients:;"))


def test_multipart_alternative_takes_the_text_part():
    parsed = parse_message(multipart_mail(plain="纯文本正文", html="<p>HTML 正文</p>"))
    assert parsed.body == "纯文本正文" and not parsed.body_was_html
    assert parsed.sender_name == "李娜" and parsed.subject == "转账失败投诉"


def test_an_html_only_mail_becomes_text_without_scripts_or_markup():
    html = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<p>您好，</p><p>我的卡&nbsp;被扣了 &yen;300</p><script>alert('x')</script>"
        "<ul><li>第一</li><li>第二</li></ul>&lt;b&gt;不是标签&lt;/b&gt;<br>谢谢</body></html>"
    )
    parsed = parse_message(multipart_mail(plain=None, html=html))
    assert parsed.body_was_html
    assert parsed.body == "您好，\n\n我的卡 被扣了 ¥300\n\n- 第一\n- 第二\n<b>不是标签</b>\n谢谢"
    assert "alert" not in parsed.body and "color" not in parsed.body


def test_html_to_text_keeps_words_not_tags():
    assert html_to_text('<div onclick="x()">a<img src=x onerror=alert(1)>b</div>') == "ab"


def test_attachments_keep_their_names_in_any_encoding():
    gb_name = b64word("交易流水.pdf", "gb2312")
    rfc2231 = "filename*=UTF-8''%E5%AF%B9%E8%B4%A6%E5%8D%95.pdf"
    parsed = parse_message(
        multipart_mail(
            plain="见附件",
            html=None,
            attachments=[
                (f'filename="{gb_name}"', "application/pdf", PDF),
                (rfc2231, "application/pdf", PDF),
                ('filename="../../etc/passwd"', "text/plain", b"root"),
            ],
        )
    )
    assert [a.filename for a in parsed.attachments] == ["交易流水.pdf", "对账单.pdf", "passwd"]
    assert parsed.attachments[0].content == PDF
    assert parsed.body == "见附件"
    # a raw 8-bit GBK name, as some Chinese mail clients write it (undeclared 8-bit text is tried
    # as UTF-8 first: GBK bytes that happen to be valid UTF-8, as 原始凭证's are, cannot be told apart)
    raw = multipart_mail(plain="见附件", html=None, attachments=[('filename="X"', "application/pdf", PDF)])
    raw = raw.replace(b'filename="X"', 'filename="原始名称.pdf"'.encode("gbk"))
    assert [a.filename for a in parse_message(raw).attachments] == ["原始名称.pdf"]


def test_a_forwarded_message_is_an_attachment_not_part_of_the_body():
    inner = raw_mail(body="被转发的原文", message_id="<inner@x>")
    raw = (
        b"From: a@example.com\r\nTo: complaints@bank.example\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
        b"see below\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--b--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.body == "see below"
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [("message.eml", "message/rfc822")]
    assert b"<inner@x>" in parsed.attachments[0].content


def test_a_mail_without_message_id_is_keyed_by_its_bytes():
    one, two = parse_message(raw_mail(message_id=None)), parse_message(raw_mail(message_id=None, body="另一封"))
    assert one.fingerprint.startswith("sha256:") and one.fingerprint != two.fingerprint
    assert parse_message(raw_mail(message_id=None)).fingerprint == one.fingerprint


@pytest.mark.parametrize(
    ("headers", "sender", "envelope_from", "reason"),
    [
        ("Auto-Submitted: auto-replied", "a@example.com", "a@example.com", "Auto-Submitted: auto-replied"),
        ("", "MAILER-DAEMON@mx.example.com", "", "null sender (bounce)"),
        ("", "postmaster@example.com", "x@example.com", "sent by postmaster"),
        ("Precedence: bulk", "a@example.com", "a@example.com", "Precedence: bulk"),
        ("X-Autoreply: yes", "a@example.com", "a@example.com", "X-Autoreply"),
    ],
)
def test_bounces_and_auto_replies_are_recognised(headers, sender, envelope_from, reason):
    parsed = parse_message(raw_mail(sender=sender, headers=headers), envelope_from=envelope_from)
    assert parsed.auto_reason == reason


def test_an_out_of_office_subject_is_an_auto_reply_and_a_customer_reply_is_not():
    assert parse_message(raw_mail(subject="自动回复: 您的投诉已受理")).auto_reason == "auto-reply subject"
    assert parse_message(raw_mail(subject="Re: 关于 VOC-2026-0000123 的回复")).auto_reason == ""


def test_case_references_come_from_the_subject_once_each():
    parsed = parse_message(raw_mail(subject="Re: VOC-2026-0000123 / VOC-2026-0000123 与 VOC-2025-0000009"))
    assert parsed.case_references == ["VOC-2026-0000123", "VOC-2025-0000009"]


def test_attachment_refusal_checks_type_size_and_content():
    assert attachment_refusal("对账单.pdf", PDF, max_bytes=1024) == ""
    assert attachment_refusal("scan.PDF", PDF, max_bytes=1024) == ""
    assert attachment_refusal("big.pdf", PDF + b"0" * 2 * 1024 * 1024, max_bytes=1024 * 1024) == "over 1 MB"
    assert attachment_refusal("run.exe", b"MZ\x90\x00", max_bytes=1024) == "type .exe not accepted"
    assert attachment_refusal("invoice.pdf", b"MZ\x90\x00\x03", max_bytes=1024) == "content is not .pdf"
    assert attachment_refusal("noext", b"abc", max_bytes=1024) == "no file type"
    assert attachment_refusal("empty.txt", b"", max_bytes=1024) == "empty"
    assert sniff("中文说明".encode("gbk")) == "text" and sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "wav"
