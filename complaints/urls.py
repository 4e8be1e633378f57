from django.urls import path, re_path

from . import taxonomy_views, views

app_name = "complaints"
REF = r"(?P<reference>VOC-\d{4}-\d{7,})"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("count/", views.complaint_list_count, name="list_count"),
    path("views/", views.saved_view_save, name="saved_view_save"),
    path("views/<id:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("intake/", views.intake, name="intake"),
    path("intake/customer/", views.intake_customer, name="intake_customer"),
    path("intake/repeat-check/", views.intake_repeat_check, name="intake_repeat_check"),
    path("public/", views.public_form, name="public_form"),
    path("public/thanks/", views.public_thanks, name="public_thanks"),
    path("customers/<id:pk>/", views.customer_page, name="customer"),
    path("customers/<id:pk>/contact/", views.customer_contact, name="customer_contact"),
    path("taxonomy/search/", taxonomy_views.taxonomy_search, name="taxonomy_search"),
    re_path(rf"^{REF}/$", views.detail, name="detail"),
    re_path(rf"^{REF}/link-repeat/$", views.link_repeat, name="link_repeat"),
    re_path(rf"^{REF}/reveal/$", views.reveal_customer, name="reveal_customer"),
]
