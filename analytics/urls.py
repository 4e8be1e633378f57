from django.urls import path

from . import views, views_exports, views_improvements

app_name = "analytics"
urlpatterns = [
    path("", views.top, name="top"),
    path("cases/", views.cases, name="cases"),
    path("rising/", views.rising, name="rising"),
    path("hot-terms/", views.hot_terms_panel, name="hot_terms"),
    path("trends/", views.trends, name="trends"),
    path("performance/", views.performance, name="performance"),
    path("export/<str:table>/<str:fmt>/", views_exports.export, name="export"),
    path("improvements/", views_improvements.board, name="improvements"),
    path("improvements/new/", views_improvements.improvement_new, name="improvement_new"),
    path("improvements/orgs/", views_improvements.improvement_orgs, name="improvement_orgs"),
    path("improvements/<id:pk>/", views_improvements.improvement_detail, name="improvement_detail"),
]
