from django.urls import path

from . import views

app_name = "analytics_api"
urlpatterns = [
    path("analytics/top/", views.TopView.as_view(), name="top"),
    path("analytics/rising/", views.RisingView.as_view(), name="rising"),
    path("analytics/trends/", views.TrendView.as_view(), name="trends"),
    path("analytics/heatmap/", views.HeatMapView.as_view(), name="heatmap"),
    path("analytics/performance/", views.PerformanceView.as_view(), name="performance"),
    path("analytics/seed-kpi/", views.SeedKpiView.as_view(), name="seed_kpi"),
    path("analytics/improvements/", views.ImprovementListView.as_view(), name="improvements"),
]
