"""A recording uploaded again says where the first copy is (issue 14): the case that holds it,
named and linked, for an uploader who may see that case; never a case outside their scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recordings.models import CallRecording
from recordings.services import recording_upload
from recordings.services.upload import UploadResult
from recordings.upload_notices import upload_notice
from tests.complaints.factories import ComplaintFactory

from .conftest import upload_of

pytestmark = pytest.mark.django_db

FORM = {"language": "zh", "direction": "inbound", "channel": "hotline"}


@pytest.fixture
def cases(org_tree):
    return {
        "bj": ComplaintFactory(responsible_org=org_tree.bj),
        "cy": ComplaintFactory(responsible_org=org_tree.bj_cy),
        "sh": ComplaintFactory(responsible_org=org_tree.sh),
    }


def _link(case) -> str:
    return f'<a href="{reverse("workflow:case", args=[case.pk])}" data-held-by>{case.reference}</a>'


def _panel_post(client, user, case, wav, **extra):
    client.force_login(user)
    url = reverse("recordings:case_panel", args=[case.reference])
    return client.post(url, {"file": upload_of(wav), **FORM}, **extra)


def test_a_file_on_another_case_names_and_links_that_case(client, people, cases, short_tone_wav):
    first = recording_upload(uploaded_by=people.bj_cy_handler, upload=upload_of(short_tone_wav), complaint=cases["cy"])
    # the branch manager (朝阳支行 is under 北京分行) uploads the same call on his branch's case
    resp = _panel_post(client, people.bj_manager, cases["bj"], short_tone_wav, HTTP_HX_REQUEST="true")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert f"该录音此前已上传到投诉 {_link(cases['cy'])}，未重复保存，也未关联到本投诉。" in body
    assert CallRecording.objects.get().complaint_id == first.recording.complaint_id == cases["cy"].pk
    # without htmx: the same notice, as a message on the case page it redirects to (the link not escaped)
    page = _panel_post(client, people.bj_manager, cases["bj"], short_tone_wav, follow=True).content.decode()
    assert _link(cases["cy"]) in page and "&lt;a href" not in page


def test_the_upload_page_names_the_case_in_chinese_or_english(client, people, cases, short_tone_wav):
    recording_upload(uploaded_by=people.bj_handler, upload=upload_of(short_tone_wav), complaint=cases["bj"])
    client.force_login(people.bj_manager)
    url = reverse("recordings:upload")
    zh = client.post(url, {"file": upload_of(short_tone_wav), **FORM}, follow=True).content.decode()
    assert f"该录音此前已上传到投诉 {_link(cases['bj'])}，未重复保存。" in zh
    client.cookies["django_language"] = "en"
    en = client.post(url, {"file": upload_of(short_tone_wav), **FORM}, follow=True).content.decode()
    assert f"This recording was already uploaded to case {_link(cases['bj'])}; it was not stored twice." in en
    assert "该录音" not in en


def test_the_same_case_and_an_unlinked_file_say_so(client, people, cases, short_tone_wav, audio_dir):
    from .conftest import tone

    recording_upload(uploaded_by=people.bj_handler, upload=upload_of(short_tone_wav), complaint=cases["bj"])
    body = _panel_post(client, people.bj_handler, cases["bj"], short_tone_wav, HTTP_HX_REQUEST="true")
    assert "该录音此前已上传到本投诉，未重复保存。" in body.content.decode()
    other = tone(audio_dir / "notices-unlinked.wav", 1.0, freq=660)
    recording_upload(uploaded_by=people.bj_handler, upload=upload_of(other))
    linked = _panel_post(client, people.bj_handler, cases["bj"], other, HTTP_HX_REQUEST="true").content.decode()
    assert "该录音此前已上传（未关联投诉），现已关联到本投诉，未重复保存。" in linked
    assert CallRecording.objects.filter(complaint=cases["bj"]).count() == 2


def test_a_case_outside_the_uploaders_scope_is_never_named(client, people, cases, short_tone_wav):
    recording_upload(uploaded_by=people.bj_handler, upload=upload_of(short_tone_wav), complaint=cases["bj"])
    # 朝阳支行's handler does not see 北京分行's own case: refused, the case neither named nor linked
    resp = _panel_post(client, people.bj_cy_handler, cases["cy"], short_tone_wav, HTTP_HX_REQUEST="true")
    body = resp.content.decode()
    assert resp.status_code == 400 and "该录音文件已由其他机构上传" in body
    assert cases["bj"].reference not in body and reverse("workflow:case", args=[cases["bj"].pk]) not in body
    client.force_login(people.sh_handler)
    page = client.post(reverse("recordings:upload"), {"file": upload_of(short_tone_wav), **FORM}).content.decode()
    assert "该录音文件已由其他机构上传" in page and cases["bj"].reference not in page


def test_the_notice_itself_fails_closed_on_a_case_out_of_scope(people, cases, short_tone_wav):
    """Should a recording reach the notice with a case the user may not see, the case is not named."""
    rec = recording_upload(
        uploaded_by=people.sh_handler, upload=upload_of(short_tone_wav), complaint=cases["sh"]
    ).recording
    shown = upload_notice(people.bj_handler, UploadResult(rec, created=False), cases["bj"])
    assert shown == "该录音此前已上传，未重复保存。"
    assert cases["sh"].reference in upload_notice(people.sh_handler, UploadResult(rec, created=False), None)
