"""issuers.files.NewFiles: a batch's new files written as FieldFile.save would write them (same names,
bytes and permissions, never over an existing file), and the usual way whenever that is not certain."""

from __future__ import annotations

import stat

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, default_storage

from assertions.models import Assertion
from credentials.models import IssuedCredential
from issuers.files import NewFiles


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "baked").mkdir(parents=True)
    return tmp_path / "media"


def test_a_new_file_gets_the_name_and_bytes_django_would_give_it(media):
    by_django, ours = Assertion().baked_image, Assertion().baked_image
    by_django.save("django.png", ContentFile(b"\x89PNG one"), save=False)
    name = NewFiles().store(ours, "ours.png", b"\x89PNG two")
    assert by_django.name == "baked/django.png"
    assert name == ours.name == "baked/ours.png"
    assert ours.instance.baked_image.name == name
    assert (media / "baked" / "ours.png").read_bytes() == b"\x89PNG two"
    assert default_storage.open(name).read() == b"\x89PNG two"
    assert stat.S_IMODE((media / "baked" / "ours.png").stat().st_mode) == \
        stat.S_IMODE((media / "baked" / "django.png").stat().st_mode)


def test_a_name_already_taken_is_never_overwritten_and_gets_django_s_other_name(media):
    files = NewFiles()
    first = files.store(Assertion().baked_image, "same.png", b"first")
    second = files.store(Assertion().baked_image, "same.png", b"second")
    assert first == "baked/same.png"
    assert second != first
    assert second.startswith("baked/same_")
    assert second.endswith(".png")
    assert (media / "baked" / "same.png").read_bytes() == b"first"
    assert default_storage.open(second).read() == b"second"


def test_a_folder_not_made_yet_is_made_as_django_makes_it(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "fresh"
    files = NewFiles()
    names = [files.store(IssuedCredential().baked_image, f"{n}.png", bytes([n])) for n in range(3)]
    assert names == ["baked-ob3/0.png", "baked-ob3/1.png", "baked-ob3/2.png"]
    assert [(tmp_path / "fresh" / name).read_bytes() for name in names] == [b"\0", b"\1", b"\2"]


def test_the_configured_file_permissions_apply(media, settings):
    settings.FILE_UPLOAD_PERMISSIONS = 0o640
    name = NewFiles().store(Assertion().baked_image, "private.png", b"x")
    assert stat.S_IMODE((media / name).stat().st_mode) == 0o640


def test_a_name_that_is_not_plain_goes_through_django(media):
    name = NewFiles().store(Assertion().baked_image, "a b.png", b"x")
    assert name == "baked/a_b.png"
    assert (media / "baked" / "a_b.png").read_bytes() == b"x"


def test_another_storage_is_written_through_the_storage(settings, media):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    file = Assertion().baked_image
    name = NewFiles().store(file, "memory.png", b"in memory")
    assert isinstance(default_storage._wrapped, InMemoryStorage)
    assert name == "baked/memory.png"
    assert default_storage.open(name).read() == b"in memory"
    assert not (media / "baked" / "memory.png").exists()
