"""Writing many small derived files (a cohort's baked images) without Django's storage overhead.

``FieldFile.save`` through ``FileSystemStorage`` validates the name five times, builds paths with
``pathlib``, asks whether the name is taken and then opens it exclusively: about 0.1 ms of Python per
file, as much as baking the image. ``NewFiles.store`` gives the same result (the same name, the same
bytes, the same permissions, an exclusive create, so an existing file is never overwritten) with one
exclusive ``open`` and one ``write``; any other case (another storage, such as S3, a name already
taken, a directory not yet made, a name too long for the field) goes the usual way.
"""

from __future__ import annotations

import os
import posixpath
import re

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage, storages
from django.db.models.fields.files import FieldFile

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


class NewFiles:
    """One batch's writes of new files to ``FileField``s: the directory each field's ``upload_to``
    names is worked out once per field, then each file is one exclusive create."""

    def __init__(self) -> None:
        self._folders: dict[tuple[int, int], str | None] = {}

    def store(self, file: FieldFile, name: str, content: bytes) -> str:
        """Save ``content`` as a new file named ``name`` (a plain base name: letters, digits, dots,
        dashes) on ``file`` (not saving its model), as ``file.save(name, ContentFile(content),
        save=False)`` would; returns the stored name."""
        folder, storage = self._folder(file), _real(file.storage)
        if folder is not None and isinstance(storage, FileSystemStorage) and _plain(name):
            stored = f"{folder}{name}"
            if len(stored) <= (file.field.max_length or 100) and self._write(storage, stored, content):
                file.name = stored
                setattr(file.instance, file.field.attname, stored)
                file._committed = True  # type: ignore[attr-defined]  # FieldFile's own flag; the stubs leave it out
                return stored
        file.save(name, ContentFile(content), save=False)
        assert file.name is not None  # just saved under it
        return file.name

    def _folder(self, file: FieldFile) -> str | None:
        """The directory (ending with "/") the field's files go to, when the lean write applies."""
        storage = _real(file.storage)
        key = (id(file.field), id(storage))
        if key not in self._folders:
            folder = None
            upload_to = file.field.upload_to
            # Exactly Django's FileSystemStorage (a subclass may name or write files its own way), and an
            # upload_to without strftime codes, so that every file of the batch goes to the same place.
            if type(storage) is FileSystemStorage and isinstance(upload_to, str) and "%" not in upload_to:
                probe = file.field.generate_filename(file.instance, "probe.bin")
                if probe.endswith("/probe.bin") and posixpath.normpath(probe) == probe:
                    folder = probe[:-len("probe.bin")]
            self._folders[key] = folder
        return self._folders[key]

    @staticmethod
    def _write(storage: FileSystemStorage, name: str, content: bytes) -> bool:
        """Create ``name`` exclusively and write ``content``; False (nothing written) if the name is taken
        or its directory does not exist yet, so that the caller goes the usual way."""
        path = os.path.join(storage.location, name)
        try:
            fd = os.open(path, _FLAGS, 0o666)
        except (FileExistsError, FileNotFoundError):
            return False
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view):]
        except BaseException:
            os.close(fd)
            os.unlink(path)
            raise
        os.close(fd)
        if storage.file_permissions_mode is not None:
            os.chmod(path, storage.file_permissions_mode)
        return True


def _real(storage: Storage) -> Storage:
    """The storage itself: a field's default storage is Django's lazy stand-in for the configured one."""
    return storages["default"] if storage is default_storage else storage


def _plain(name: str) -> bool:
    return bool(_PLAIN_NAME.fullmatch(name)) and ".." not in name
