"""``path("kue/", include("django_kue.urls"))``: Kue's JSON API and the REST API under one
namespace, ``django_kue`` (``reverse("django_kue:kue-stats")``)."""

from django.urls import include, path

app_name = "django_kue"

urlpatterns = [
    path("", include("django_kue.api.urls")),
]
