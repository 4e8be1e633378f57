from django.urls import path

from . import views

app_name = "mailintake"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/attachments/<id:att>/", views.attachment, name="attachment"),
    path("<id:pk>/not-complaint/", views.not_complaint, name="not_complaint"),
]
