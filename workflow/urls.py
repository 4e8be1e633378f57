from django.urls import path

from . import views, views_bulk

app_name = "workflow"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("badges/", views.badges, name="badges"),
    path("mine/", views.my_cases, name="mine"),
    path("overview/", views.overview, name="overview"),
    path("approvals/", views.approvals, name="approvals"),
    path("case/<id:pk>/", views.case_detail, name="case"),
    path("case/<id:pk>/act/<slug:action>/", views.case_act, name="act"),
    path("bulk/", views_bulk.bulk, name="bulk"),
]
