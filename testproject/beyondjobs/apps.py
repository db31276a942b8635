from django.apps import AppConfig


class BeyondJobsConfig(AppConfig):
    name = "testproject.beyondjobs"
    label = "beyondjobs"
