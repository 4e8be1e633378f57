"""Forms parse input; the rules live in recordings.services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.forms import TrailFilterForm
from accounts.models import Organisation
from voc.validators import plausible_date

from .models import CallRecording
from .selectors import AUDIENCE_ROLE_CHOICES


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("录音文件"),
        error_messages={"required": _("请选择录音文件"), "empty": _("文件为空")},
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*,.wav,.mp3,.m4a,.aac,.amr,.ogg,.opus"}),
    )
    language = forms.ChoiceField(label=_("语言"), choices=CallRecording.Language.choices, initial="auto")
    call_started_at = forms.DateTimeField(
        validators=[plausible_date],
        label=_("通话时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    direction = forms.ChoiceField(label=_("方向"), choices=CallRecording.Direction.choices, initial="inbound")
    channel = forms.ChoiceField(label=_("渠道"), choices=CallRecording.Channel.choices, initial="hotline")


class FlagForm(forms.Form):
    note = forms.CharField(label=_("推荐理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    audience_roles = forms.MultipleChoiceField(
        label=_("推送给哪些角色"),
        choices=[(r, roles.ROLE_LABELS[r]) for r in AUDIENCE_ROLE_CHOICES],
        initial=[roles.LISTENING_MANAGER, roles.BRANCH_MANAGER],
        widget=forms.CheckboxSelectMultiple,
    )
    audience_orgs = forms.ModelMultipleChoiceField(
        label=_("推送机构（含下级；不选则为本案所属机构及上级）"),
        queryset=Organisation.objects.filter(kind__in=["head_office", "branch"], is_active=True).order_by("path"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("评论"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class LinkForm(forms.Form):
    reference = forms.CharField(label=_("投诉编号"), max_length=32)


class PlayFilterForm(TrailFilterForm):
    """The play log's filters: person, recording number, local days, case."""

    recording = forms.CharField(
        label=_("录音编号"),
        required=False,
        max_length=18,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 8}),
    )

    field_order = ["actor", "recording", "date_from", "date_to", "case"]
