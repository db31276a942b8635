"""The demo site and the test suite's settings. Environment variables:

KUE_REDIS_URL   Redis to use (default redis://127.0.0.1:6379/0)
KUE_DB          "postgres" to use PostgreSQL at 127.0.0.1:5432 (default: SQLite)
KUE_SQLITE      SQLite file to use (default testproject/db.sqlite3; the benchmark uses its own)
KUE_EVENTS      "0" turns KUE["EVENTS"] off; KUE_MIRROR "0" turns KUE["MIRROR"] off (bench/)
KUE_EXTRA_APPS  comma-separated extra apps to install (bench/ adds its probe handlers)
"""

import importlib.util
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_kue",
    "testproject.demo",
    "testproject.testjobs",
]
INSTALLED_APPS += [a for a in os.environ.get("KUE_EXTRA_APPS", "").split(",") if a]
if importlib.util.find_spec("django_tasks"):  # Django's Tasks framework backport (extra "tasks")
    INSTALLED_APPS.append("django_tasks")

# @task functions enqueue into django-kue; runkueworker runs them (django_kue.backends)
TASKS = {
    "default": {
        "BACKEND": "django_kue.backends.KueBackend",
        "QUEUES": ["default", "emails"],
        "OPTIONS": {"CONCURRENCY": 2},
    },
}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "testproject.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = None

if os.environ.get("KUE_DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("KUE_PG_NAME", "test"),
            "USER": os.environ.get("KUE_PG_USER", "postgres"),
            "HOST": "127.0.0.1",
            "PORT": 5432,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("KUE_SQLITE") or BASE_DIR / "db.sqlite3",
        }
    }

STATIC_URL = "static/"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

KUE = {
    "REDIS_URL": os.environ.get("KUE_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "PREFIX": os.environ.get("KUE_PREFIX", "q"),
    "SEARCH": True,
    "LEASE": int(os.environ.get("KUE_LEASE", "15000")),
    "EVENTS": os.environ.get("KUE_EVENTS", "1") != "0",
    "MIRROR": os.environ.get("KUE_MIRROR", "1") != "0",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"django_kue": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
