"""The admin job browser through Django's test client, as staff: list, filters, search, date
hierarchy, detail (with the log from Redis), and every action, checked against Redis."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from django_kue.mirror import Mirror
from django_kue.models import JobRecord

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:django_kue_jobrecord_changelist"


@pytest.fixture
def admin_client(client, db):
    """A logged-in superuser (no password: hashing one costs a second per test)."""
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", None))
    return client


@pytest.fixture
def jobs(queue):
    """Three mirrored jobs: inactive, failed (with error, stack and log), complete."""
    mirror = Mirror(queue)
    mirror.ensure_group()
    welcome = queue.create("email", {"title": "welcome", "to": "ann@example.com"}).save()
    broken = queue.create("video", {"title": "broken <b>clip</b>", "file": "x.mp4"}).save()
    done = queue.create("email", {"title": "receipt", "to": "bob@example.com"}).save()
    queue.append_log(broken.id, "", ["<script>alert(1)</script>", "frame 3 bad"])
    queue.client.hset(queue.keys.job(broken.id), mapping={"error": "codec missing",
                                                          "stack": "Traceback: codec missing"})
    broken.failed()
    done.complete()
    queue.client.hset(queue.keys.job(done.id), "result", '{"sent": true}')
    mirror.catch_up()
    mirror.refresh([done.id, broken.id])
    return {"welcome": welcome, "broken": broken, "done": done}


def changelist(client, **params):
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return response


def shown_ids(response) -> set[int]:
    return {row.id for row in response.context["cl"].result_list}


def test_list_shows_every_column_and_the_lag(admin_client, jobs):
    response = changelist(admin_client)
    html = response.content.decode()
    assert shown_ids(response) == {j.id for j in jobs.values()}
    for text in ("welcome", "receipt", "inactive", "failed", "complete", "<progress", "0/1",
                 "Mirror lag: <strong>0 event(s) not yet applied</strong>"):
        assert text in html
    assert "broken &lt;b&gt;clip&lt;/b&gt;" in html  # titles are escaped


def test_filters_by_state_and_type(admin_client, jobs):
    assert shown_ids(changelist(admin_client, state="failed")) == {jobs["broken"].id}
    assert shown_ids(changelist(admin_client, type="email")) == {jobs["welcome"].id, jobs["done"].id}
    assert shown_ids(changelist(admin_client, type="email", state="complete")) == {jobs["done"].id}


def test_search_over_title_and_data(admin_client, jobs):
    assert shown_ids(changelist(admin_client, q="receipt")) == {jobs["done"].id}
    assert shown_ids(changelist(admin_client, q="ann@example")) == {jobs["welcome"].id}
    assert shown_ids(changelist(admin_client, q="nothing-like-this")) == set()


def test_date_hierarchy(admin_client, jobs):
    today = dt.datetime.now(dt.UTC)
    response = changelist(admin_client, created_at__year=today.year, created_at__month=today.month)
    assert shown_ids(response) == {j.id for j in jobs.values()}
    assert shown_ids(changelist(admin_client, created_at__year=today.year - 1)) == set()


def test_detail_shows_data_result_error_stack_and_the_log_from_redis(admin_client, jobs):
    url = reverse("admin:django_kue_jobrecord_change", args=[jobs["broken"].id])
    html = admin_client.get(url).content.decode()
    assert "codec missing" in html and "Traceback: codec missing" in html
    assert "&quot;file&quot;: &quot;x.mp4&quot;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "frame 3 bad" in html
    assert 'name="_save"' not in html  # read-only: nothing to save
    done = admin_client.get(reverse("admin:django_kue_jobrecord_change", args=[jobs["done"].id]))
    assert "&quot;sent&quot;: true" in done.content.decode()


def test_no_add(admin_client, jobs):
    assert admin_client.get(reverse("admin:django_kue_jobrecord_add")).status_code == 403


def post_action(client, action, ids, **extra):
    return client.post(reverse(CHANGELIST), {"action": action, "_selected_action": ids, **extra},
                       follow=True)


def test_bulk_retry_acts_on_redis_then_the_rows(admin_client, jobs, queue):
    ids = [jobs["broken"].id, jobs["done"].id]
    response = post_action(admin_client, "retry", ids)
    assert "2 job(s) queued again" in response.content.decode()
    assert [queue.get_job(i).state for i in ids] == ["inactive", "inactive"]
    assert set(JobRecord.objects.filter(id__in=ids).values_list("state", flat=True)) == {"inactive"}


def test_bulk_priority(admin_client, jobs, queue):
    ids = [jobs["welcome"].id, jobs["broken"].id]
    post_action(admin_client, "set_priority", ids, priority="critical")
    assert [queue.get_job(i).priority for i in ids] == [-15, -15]
    assert list(JobRecord.objects.filter(id__in=ids).values_list("priority", flat=True)) == [-15, -15]


def test_bad_priority_changes_nothing(admin_client, jobs, queue):
    response = post_action(admin_client, "set_priority", [jobs["welcome"].id], priority="urgent")
    assert "Nothing changed" in response.content.decode()
    assert queue.get_job(jobs["welcome"].id).priority == 0


def test_bulk_removal_asks_for_confirmation_first(admin_client, jobs, queue):
    ids = [jobs["welcome"].id, jobs["done"].id]
    confirm = post_action(admin_client, "delete_selected", ids)
    assert "Are you sure" in confirm.content.decode()
    assert queue.get_job(ids[0]).state == "inactive"  # nothing removed yet
    post_action(admin_client, "delete_selected", ids, post="yes")
    assert queue.client.exists(queue.keys.job(ids[0]), queue.keys.job(ids[1])) == 0
    assert set(JobRecord.objects.values_list("id", flat=True)) == {jobs["broken"].id}


def test_remove_one_job(admin_client, jobs, queue):
    url = reverse("admin:django_kue_jobrecord_delete", args=[jobs["broken"].id])
    assert "Are you sure" in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert not queue.client.exists(queue.keys.job(jobs["broken"].id))
    assert not JobRecord.objects.filter(id=jobs["broken"].id).exists()


def test_one_job_retry_and_priority_buttons(admin_client, jobs, queue):
    job_id = jobs["broken"].id
    page = admin_client.get(reverse("admin:django_kue_jobrecord_change", args=[job_id]))
    assert "Retry (to inactive)" in page.content.decode()
    admin_client.post(reverse("admin:django_kue_jobrecord_retry", args=[job_id]))
    assert queue.get_job(job_id).state == "inactive"
    admin_client.post(reverse("admin:django_kue_jobrecord_priority", args=[job_id]), {"priority": "low"})
    assert queue.get_job(job_id).priority == 10
    assert JobRecord.objects.get(id=job_id).priority == 10
    admin_client.get(reverse("admin:django_kue_jobrecord_retry", args=[job_id]))  # GET: refused
    assert JobRecord.objects.get(id=job_id).state == "inactive"


def test_a_job_gone_from_redis_loses_its_row_on_any_action(admin_client, jobs, queue):
    queue.remove(jobs["done"].id)  # removed elsewhere; the syncer has not caught up
    response = post_action(admin_client, "retry", [jobs["done"].id])
    assert "no longer exist in Redis" in response.content.decode()
    assert not JobRecord.objects.filter(id=jobs["done"].id).exists()


@pytest.fixture
def viewer(client, db):
    """Staff with the view permission only."""
    user = User.objects.create_user("viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_jobrecord"))
    client.force_login(user)
    return client


def test_view_only_staff_can_browse_but_not_act(viewer, jobs, queue):
    response = changelist(viewer)
    assert shown_ids(response) == {j.id for j in jobs.values()}
    assert response.context["action_form"] is None  # no action it may use
    post_action(viewer, "retry", [jobs["broken"].id])
    viewer.post(reverse("admin:django_kue_jobrecord_retry", args=[jobs["broken"].id]))
    viewer.post(reverse("admin:django_kue_jobrecord_delete", args=[jobs["broken"].id]), {"post": "yes"})
    assert queue.get_job(jobs["broken"].id).state == "failed"
    page = viewer.get(reverse("admin:django_kue_jobrecord_change", args=[jobs["broken"].id]))
    assert "Retry (to inactive)" not in page.content.decode()


def test_anonymous_is_sent_to_the_login(client, jobs):
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.fixture
def beyond(queue):
    """Mirrored beyond-Kue jobs: a cancelled one, a child waiting for two parents, a unique one."""
    mirror = Mirror(queue)
    mirror.ensure_group()
    cancelled = queue.create("email", {"title": "stopped"}).save().cancel()
    parent = queue.create("fetch", {"title": "parent"}).save()
    other = queue.create("fetch", {"title": "other parent"}).save()
    child = queue.create("merge", {"title": "child"}, depends_on=[parent, other]).save()
    unique = queue.create("report", {"title": "report"}, unique_key="report:<7>").save()
    mirror.catch_up()
    return {"cancelled": cancelled, "parent": parent, "other": other, "child": child,
            "unique": unique}


def test_cancelled_column(admin_client, beyond):
    response = changelist(admin_client)
    html = response.content.decode()
    assert '<th scope="col" class="sortable column-cancelled">' in html
    assert html.count('<td class="field-cancelled"><img src="/static/admin/img/icon-yes.svg"') == 1
    assert html.count('<td class="field-cancelled"><img src="/static/admin/img/icon-no.svg"') == 4


def test_cancelled_filter(admin_client, beyond):
    html = changelist(admin_client).content.decode()
    assert "By cancelled" in html
    assert shown_ids(changelist(admin_client, cancelled__exact="1")) == {beyond["cancelled"].id}
    assert shown_ids(changelist(admin_client, cancelled__exact="0")) == {
        beyond[name].id for name in ("parent", "other", "child", "unique")}
    assert shown_ids(changelist(admin_client, cancelled__exact="0", state="failed")) == set()


def test_search_finds_a_unique_key(admin_client, beyond):
    assert shown_ids(changelist(admin_client, q="report:<7")) == {beyond["unique"].id}


def _change_page(client, job_id) -> str:
    response = client.get(reverse("admin:django_kue_jobrecord_change", args=[job_id]))
    assert response.status_code == 200
    return response.content.decode()


def _link(job_id) -> str:
    return f'<a href="{reverse("admin:django_kue_jobrecord_change", args=[job_id])}">#{job_id}</a>'


def test_dependencies_and_dependents_link_to_those_jobs(admin_client, beyond):
    parent, other, child = beyond["parent"].id, beyond["other"].id, beyond["child"].id
    html = _change_page(admin_client, child)
    assert f"{_link(parent)}, {_link(other)}" in html  # depends on, in the saved order
    assert 'name="_save"' not in html  # still read-only
    for job_id in (parent, other):
        assert _link(child) in _change_page(admin_client, job_id)  # its dependents


def test_a_dependency_without_a_row_is_shown_unlinked(admin_client, beyond):
    parent, child = beyond["parent"].id, beyond["child"].id
    JobRecord.objects.filter(id=parent).delete()  # the mirror has not seen it (yet)
    html = _change_page(admin_client, child)
    assert f"#{parent} (gone)" in html and _link(parent) not in html
    assert _link(beyond["other"].id) in html


def test_change_page_shows_the_cancelled_flag_and_the_unique_key(admin_client, beyond):
    html = _change_page(admin_client, beyond["unique"].id)
    assert "report:&lt;7&gt;" in html and "report:<7>" not in html  # escaped
    assert "icon-no.svg" in html
    assert "icon-yes.svg" in _change_page(admin_client, beyond["cancelled"].id)
