"""Kue's JSON API and the REST API, as DRF views (mounted by ``django_kue.urls``)."""
