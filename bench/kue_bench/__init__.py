"""A tiny Django app for the benchmark: django-kue's latency probe (KUE_EXTRA_APPS=kue_bench)."""
