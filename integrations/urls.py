from django.urls import path

from . import views_regulator as regulator

app_name = "integrations"
urlpatterns = [
    path("regulator/", regulator.upload, name="regulator_upload"),
    path("regulator/template.<str:fmt>", regulator.template, name="regulator_template"),
    path("regulator/batches/<id:pk>/", regulator.batch, name="regulator_batch"),
    path("regulator/batches/<id:pk>/import/", regulator.batch_import, name="regulator_import"),
    path("regulator/batches/<id:pk>/errors.<str:fmt>", regulator.error_report, name="regulator_errors"),
    path("regulator/results/", regulator.results, name="regulator_results"),
    path("regulator/results.<str:fmt>", regulator.results_export, name="regulator_export"),
]
