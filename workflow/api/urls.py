from django.urls import re_path

from . import views

app_name = "workflow_api"
CASE = r"^complaints/(?P<reference>VOC-\d{4}-\d{7,})/"
urlpatterns = [
    re_path(CASE + r"timeline/$", views.CaseTimeline.as_view(), name="timeline"),
    re_path(CASE + r"clock/$", views.CaseClock.as_view(), name="clock"),
    *[
        re_path(CASE + rf"actions/{name}/$", view.as_view(), name=f"action_{name}")
        for name, view in views.ACTION_VIEWS.items()
    ],
]
