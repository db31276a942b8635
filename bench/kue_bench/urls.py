from django.urls import include, path

urlpatterns = [path("kue/", include("django_kue.urls"))]
