from django.urls import path

from . import views

app_name = "callqa"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("calls/<id:pk>/", views.call, name="call"),
    path("calls/<id:pk>/overturn/", views.overturn, name="overturn"),
]
