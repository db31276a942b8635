from django.apps import AppConfig


class TestJobsConfig(AppConfig):
    name = "testproject.testjobs"
    label = "testjobs"
