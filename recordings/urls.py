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
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status/", views.status, name="status"),
    path("<int:pk>/audio/<str:version>/", views.audio, name="audio"),
    path("<int:pk>/codes/", views.codes_json, name="codes"),
    path("<int:pk>/flag/", views.flag, name="flag"),
    path("<int:pk>/listened/", views.listened, name="listened"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("<int:pk>/link/", views.link, name="link"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/dismiss/", views.dismiss, name="dismiss"),
]
