from django.urls import path, re_path

from . import views

app_name = "complaints_api"
urlpatterns = [
    path("complaints/", views.ComplaintListCreate.as_view(), name="complaint_list"),
    # the list with its filters in a body: a full phone/ID number never sits in a URL
    path("complaints/search/", views.ComplaintSearch.as_view(), name="complaint_search"),
    re_path(r"^complaints/(?P<reference>VOC-\d{4}-\d{7,})/$", views.ComplaintDetail.as_view(), name="complaint_detail"),
    path("taxonomy/", views.TaxonomyList.as_view(), name="taxonomy"),
]
