from django.urls import path

from . import taxonomy_views

app_name = "complaints"
urlpatterns = [
    path("taxonomy/search/", taxonomy_views.taxonomy_search, name="taxonomy_search"),
]
