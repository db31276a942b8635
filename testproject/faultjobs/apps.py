from django.apps import AppConfig


class FaultJobsConfig(AppConfig):
    name = "testproject.faultjobs"
    label = "faultjobs"
