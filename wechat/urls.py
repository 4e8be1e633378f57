from django.urls import path

from . import callbacks, views

app_name = "wechat"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<id:pk>/not-complaint/", views.not_complaint, name="not_complaint"),
    # the platforms' callback URLs (anonymous, signature-checked; docs/wechat.md)
    path("callback/official/", callbacks.official_callback, name="official_callback"),
    path("callback/wecom/", callbacks.wecom_callback, name="wecom_callback"),
]
