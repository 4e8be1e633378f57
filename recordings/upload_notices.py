"""What an upload tells the person who made it (issue 14): a recording uploaded again is not
saved twice, and the notice says where the first copy is - the case it belongs to, named and
linked, when the uploader may see that case; never a case outside their scope."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import org_visible_to

from .services.upload import UploadResult


def upload_notice(user: User, result: UploadResult, complaint=None) -> SafeString:
    """The notice (HTML, escaped) for ``result`` of an upload by ``user``, to ``complaint`` if
    the upload was made from a case page."""
    if result.created:
        return format_html("{}", _("已上传，排队转写中。"))
    if result.linked_now:
        return format_html("{}", _("该录音此前已上传（未关联投诉），现已关联到本投诉，未重复保存。"))
    held_by = result.recording.complaint
    if held_by is not None and complaint is not None and held_by.pk == complaint.pk:
        return format_html("{}", _("该录音此前已上传到本投诉，未重复保存。"))
    if held_by is not None and org_visible_to(user, held_by.responsible_org):
        link = format_html(
            '<a href="{}" data-held-by>{}</a>', reverse("workflow:case", args=[held_by.pk]), held_by.reference
        )
        if complaint is not None:
            text = _("该录音此前已上传到投诉 %(case)s，未重复保存，也未关联到本投诉。")
        else:
            text = _("该录音此前已上传到投诉 %(case)s，未重复保存。")
        return format_html(text.replace("%(case)s", "{case}"), case=link)
    return format_html("{}", _("该录音此前已上传，未重复保存。"))
