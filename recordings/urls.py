from django.urls import path, re_path

from . import views

app_name = "recordings"
REF = r"(?P<reference>VOC-\d{4}-\d{7,})"
urlpatterns = [
    path("", views.recording_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("listen/", views.inbox, name="inbox"),
    path("suspected/", views.suspected, name="suspected"),
    path("plays/", views.plays, name="plays"),
    re_path(rf"^case/{REF}/$", views.case_page, name="case"),
    re_path(rf"^case/{REF}/panel/$", views.case_panel, name="case_panel"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/status/", views.status, name="status"),
    path("<id:pk>/audio/<str:version>/", views.audio, name="audio"),
    path("<id:pk>/codes/", views.codes_json, name="codes"),
    path("<id:pk>/flag/", views.flag, name="flag"),
    path("<id:pk>/listened/", views.listened, name="listened"),
    path("<id:pk>/comment/", views.comment, name="comment"),
    path("<id:pk>/link/", views.link, name="link"),
    path("<id:pk>/retry/", views.retry, name="retry"),
    path("<id:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("<id:pk>/release/", views.release, name="release"),
]
