from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class KueConfig(AppConfig):
    name = "django_kue"
    label = "django_kue"
    verbose_name = "Kue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .connection import get_queue
        from .core.job import Job

        Job.default_queue = get_queue
        from . import listener
        from .conf import kue_settings

        listener.connect()  # this process's job events become signals
        if kue_settings.LISTEN:
            listener.start()  # and other processes' too (remote=True): a follower thread
        # @kue_job registrations live in <app>.tasks / <app>.jobs: import them in every process
        autodiscover_modules("tasks", "jobs")
        from . import tasks_compat

        if tasks_compat.AVAILABLE:  # TASKS backends that are KueBackend: their job types
            from .backends import register_task_types

            register_task_types()
