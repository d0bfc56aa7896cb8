"""Uploaded and baked files on S3-compatible object storage (FILE_STORAGE=s3, django-storages), so that
web and worker processes on different machines share them. The store is moto's S3 server, a real S3 API
over HTTP in its own process; each process below has its own empty MEDIA_ROOT, standing for its own
machine's disk, which must stay empty."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assertions.models import Assertion
from badges.services import badge_class_create
from issuers.scoping import tenant_scope
from issuers.services import api_key_create, tenant_update
from tests.support import png_bytes
from tests.support.servers import ObjectStore, wait_for
from verification.baked import read_baked


@pytest.fixture
def store(tmp_path):
    server = ObjectStore(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def files_in(store, settings, tmp_path):
    """This (test) process keeps its files in the store too, as a web process configured so would."""
    settings.MEDIA_ROOT = tmp_path / "test-process-disk"
    options = {"bucket_name": store.bucket, "endpoint_url": store.endpoint, "region_name": "eu-west-2",
               "access_key": store.access_key, "secret_key": store.secret_key, "default_acl": None,
               "file_overwrite": False}
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage",
                                                          "OPTIONS": options}}
    return store


def files_on_disk(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.django_db
def test_an_uploaded_badge_image_is_stored_in_the_bucket_and_served_from_it(files_in, tenant_a, issuer_a, alice,
                                                                             client, settings):
    image = png_bytes()
    with tenant_scope(tenant_a):
        badge = badge_class_create(issuer=issuer_a, name="Safe Scaffolding", description="Erects a tower.",
                                   image=image, actor=alice)
    assert files_in.keys() == [badge.image.name]
    response = client.get(f"/public/badges/{badge.public_id}/image")
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content]) == \
        files_in.read(badge.image.name)
    assert files_on_disk(Path(settings.MEDIA_ROOT)) == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_web_process_and_a_worker_on_different_disks_share_badge_images_and_baked_badges(
        files_in, tenant_a, issuer_a, alice, sink, start_worker, start_web, tmp_path, settings):
    with tenant_scope(tenant_a):
        badge = badge_class_create(issuer=issuer_a, name="Safe Scaffolding", description="Erects a tower.",
                                   image=png_bytes(), actor=alice)
        _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
    worker_disk, web_disk = tmp_path / "worker-disk", tmp_path / "web-disk"
    worker = start_worker(smtp_port=sink.port, env={**files_in.env(), "MEDIA_ROOT": str(worker_disk)})
    web = start_web(env={**files_in.env(), "MEDIA_ROOT": str(web_disk)})

    status, _, body = web.post(f"/api/v1/badgeclasses/{badge.public_id}/assertions/",
                               json.dumps({"recipient_email": "ann@example.org", "recipient_name": "Ann"}).encode(),
                               {"Authorization": f"Bearer {secret}"})
    assert status == 201, body
    public_id = json.loads(body)["id"]

    def baked() -> Assertion | None:
        with tenant_scope(tenant_a):
            row = Assertion.objects.get(public_id=public_id)
        return row if row.bake_status == Assertion.BakeStatus.DONE else None

    assertion = wait_for(baked, timeout=60, alive=worker.assert_alive,
                         message="the worker did not bake the badge within 60 s")
    # The worker read the badge image from the bucket and wrote the baked badge there...
    assert assertion.baked_image.name in files_in.keys()
    in_bucket = files_in.read(assertion.baked_image.name)
    assert json.loads(read_baked(in_bucket))["id"].endswith(public_id)
    # ...and the web process, which never saw it on its own disk, serves it from the bucket.
    status, headers, served = web.get(f"/public/assertions/{public_id}/image")
    assert (status, served) == (200, in_bucket), web.log()
    wait_for(lambda: sink.assertion_ids().get(public_id), timeout=60, alive=worker.assert_alive,
             message="the award was never emailed")
    assert files_on_disk(worker_disk) == files_on_disk(web_disk) == files_on_disk(Path(settings.MEDIA_ROOT)) == []


@pytest.mark.django_db
def test_a_colleges_logo_in_the_bucket_is_served_by_our_view_not_by_an_expiring_bucket_link(
        files_in, tenant_a, alice, client):
    with tenant_scope(tenant_a):
        tenant_update(tenant=tenant_a, changes={}, logo=png_bytes(), actor=alice)
    assert files_in.keys() == [tenant_a.logo.name]
    assert "X-Amz-Signature" not in tenant_a.logo_url  # a signed bucket link would expire in an hour
    response = client.get(tenant_a.logo_url)
    assert (response.status_code, response.content) == (200, files_in.read(tenant_a.logo.name))
