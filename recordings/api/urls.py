from django.urls import path

from . import views

app_name = "recordings_api"
urlpatterns = [
    path("recordings/", views.RecordingListCreate.as_view(), name="list"),
    path("recordings/<id:pk>/", views.RecordingDetail.as_view(), name="detail"),
    path("recordings/<id:pk>/audio/<str:version>/", views.RecordingAudio.as_view(), name="audio"),
    path("recordings/<id:pk>/code-suggestions/", views.RecordingCodeSuggestions.as_view(), name="code_suggestions"),
]
