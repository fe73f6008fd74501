"""Uploads on the web: the Django side of the one bounded upload path (`pbc.uploads`).

- `BoundedUploadHandler` (the only entry of `FILE_UPLOAD_HANDLERS`) writes every uploaded file
  to `DATA_DIR/uploads/incoming/`, created owner-only (0600) in an owner-only folder, and stops
  writing once the file passes `PBC_UPLOAD_MAX_BYTES` (the rest is read from the request and
  dropped, so a huge upload never lands on disk or in memory). Django closes every uploaded
  file when the response is finished; closing a `BoundedUpload` deletes it.
- `UploadField` is the form field of every upload form: it refuses an upload over the size
  cap, and runs `pbc.uploads.check_file` (ZIP and Parquet expansion) before any view reads it.
  `checked_upload` does the same for a view that reads `request.FILES` itself.
- A file needed by a second step (a provider return's "accept with known problems", a plan's
  preview then confirm, an import's preview then confirm) is copied by `keep` to
  `DATA_DIR/uploads/kept/<purpose>/u<user id>-<sha256>`, owner-only, found again only by the
  user who uploaded it, at most `PBC_UPLOAD_MAX_KEPT_FILES` files and `PBC_UPLOAD_MAX_KEPT_BYTES`
  per user at once (ASVS 12.1.3); `sweep_expired` deletes kept files, and incoming files a crashed process left,
  older than `PBC_UPLOAD_KEEP_SECONDS` (it runs on every upload and every kept-file lookup).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from pbc.uploads import UploadLimits, UploadRefused, check_file, over_size, size_text

PURPOSE = re.compile(r"^[a-z]+$")
TOKEN = re.compile(r"^[0-9a-f]{64}$")


def upload_limits() -> UploadLimits:
    """The limits in the settings (`# Uploads`): the same for the web and the command line."""
    return UploadLimits(
        max_bytes=settings.PBC_UPLOAD_MAX_BYTES,
        max_rows=settings.PBC_UPLOAD_MAX_ROWS,
        max_cell_chars=settings.PBC_UPLOAD_MAX_CELL_CHARS,
        max_uncompressed_bytes=settings.PBC_UPLOAD_MAX_UNCOMPRESSED_BYTES,
        max_ratio=settings.PBC_UPLOAD_MAX_RATIO,
        virus_scanner=settings.PBC_VIRUS_SCANNER,
    )


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def incoming_dir() -> Path:
    return _private_dir(Path(settings.DATA_DIR) / "uploads" / "incoming")


def kept_dir(purpose: str) -> Path:
    assert PURPOSE.fullmatch(purpose), purpose
    return _private_dir(Path(settings.DATA_DIR) / "uploads" / "kept" / purpose)


def _create_private(path: Path) -> IO[bytes]:
    return os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600), "w+b")


class BoundedUpload(UploadedFile):
    """An uploaded file on disk, deleted when closed. `too_large`: more bytes were sent than
    the cap (only the first ones were written); `size` is what was sent."""

    def __init__(
        self, file: IO[bytes], path: Path, name: str, size: int, too_large: bool, **info: Any
    ) -> None:
        super().__init__(file, name, size=size, **info)
        self.path = path
        self.too_large = too_large

    def temporary_file_path(self) -> str:
        return str(self.path)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.path.unlink(missing_ok=True)


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""


class BoundedUploadHandler(FileUploadHandler):
    """Every uploaded file to an owner-only file under the data directory, up to the cap."""

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        sweep_expired()
        self.cap = settings.PBC_UPLOAD_MAX_BYTES
        self.written = 0
        self.too_large = False
        self.path = incoming_dir() / f"{secrets.token_hex(16)}{_suffix(file_name)}"
        self.file = _create_private(self.path)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.written + len(raw_data) > self.cap:
            self.too_large = True
        if not self.too_large:
            self.file.write(raw_data)
            self.written += len(raw_data)
        return None

    def file_complete(self, file_size: int) -> BoundedUpload:
        self.file.flush()
        self.file.seek(0)
        return BoundedUpload(
            self.file,
            self.path,
            self.file_name or "upload",
            file_size,
            self.too_large,
            content_type=self.content_type,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )

    def upload_interrupted(self) -> None:
        if hasattr(self, "file"):
            self.file.close()
            self.path.unlink(missing_ok=True)


def checked_upload(upload: Any) -> Path:
    """The path of an upload that passed the size and expansion checks; `UploadRefused` if not."""
    limits = upload_limits()
    name = upload.name or "upload"
    if getattr(upload, "too_large", False) or upload.size > limits.max_bytes:
        raise UploadRefused(name, over_size(upload.size, limits.max_bytes))
    if not hasattr(upload, "temporary_file_path"):  # another handler kept it in memory
        raise UploadRefused(name, "the upload was not stored by the bounded upload handler")
    path = Path(upload.temporary_file_path())
    check_file(path, name, limits)
    return path


class UploadField(forms.FileField):
    """The file field of every upload form: refuses what `checked_upload` refuses."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload:
            try:
                checked_upload(upload)
            except UploadRefused as refused:
                raise forms.ValidationError(f"{refused}.") from None
        return upload


# --- files kept between two steps ----------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _owner_prefix(owner: Any) -> str:
    return f"u{int(owner.pk)}-"


def _kept_by(owner: Any) -> list[Path]:
    """The kept files of `owner` that have not expired, of every purpose."""
    root = Path(settings.DATA_DIR) / "uploads" / "kept"
    return [p for p in root.glob(f"*/{_owner_prefix(owner)}*") if p.is_file()]


def _check_quota(path: Path, target: Path, owner: Any, name: str) -> None:
    """Refuse to keep another file for `owner` past `PBC_UPLOAD_MAX_KEPT_FILES` files or
    `PBC_UPLOAD_MAX_KEPT_BYTES` bytes kept at once (ASVS 12.1.3); the same file again replaces
    itself and counts once."""
    sweep_expired()
    others = [p for p in _kept_by(owner) if p != target]
    if len(others) >= settings.PBC_UPLOAD_MAX_KEPT_FILES:
        raise UploadRefused(
            name,
            f"you already have {len(others)} uploads waiting for their next step, the most "
            "pbc keeps for one person: finish or cancel one of them (or wait "
            f"{settings.PBC_UPLOAD_KEEP_SECONDS // 60} minutes for them to expire), then "
            "upload this file again",
        )
    held = sum(p.stat().st_size for p in others) + path.stat().st_size
    cap = settings.PBC_UPLOAD_MAX_KEPT_BYTES
    if held > cap:
        raise UploadRefused(
            name,
            f"with this file your uploads waiting for their next step would hold "
            f"{size_text(held)}, more than the {size_text(cap)} pbc keeps for one person: "
            "finish or cancel one of them, then upload this file again",
        )


def keep(path: Path, purpose: str, owner: Any, name: str) -> str:
    """Keep a checked upload of `owner` (a user) for a later step; its token (the SHA-256 of
    its bytes). Only the same user finds it again (`kept`), and one user keeps at most
    `PBC_UPLOAD_MAX_KEPT_FILES` files, `PBC_UPLOAD_MAX_KEPT_BYTES` in all (`UploadRefused`,
    naming the upload `name`)."""
    token = file_sha256(path)
    target = kept_dir(purpose) / f"{_owner_prefix(owner)}{token}"
    _check_quota(path, target, owner, name)
    partial = target.with_name(f".{token}.{secrets.token_hex(4)}")
    with path.open("rb") as source, _create_private(partial) as out:
        shutil.copyfileobj(source, out)
    os.replace(partial, target)
    return token


def kept(purpose: str, token: str, owner: Any) -> Path | None:
    """The upload `owner` kept with this token, if it has not expired."""
    sweep_expired()
    if not TOKEN.fullmatch(token):
        return None
    path = kept_dir(purpose) / f"{_owner_prefix(owner)}{token}"
    return path if path.is_file() else None


@contextlib.contextmanager
def named_like(path: Path, name: str) -> Iterator[Path]:
    """The kept file `path` under a name ending like the upload's `name` (readers tell a
    format by its suffix; a kept file is named by its token alone): a hard link in the
    owner-only incoming folder, removed afterwards."""
    link = incoming_dir() / f"{secrets.token_hex(16)}{_suffix(name)}"
    os.link(path, link)
    try:
        yield link
    finally:
        link.unlink(missing_ok=True)


def discard(purpose: str, token: str, owner: Any) -> None:
    if TOKEN.fullmatch(token):
        (kept_dir(purpose) / f"{_owner_prefix(owner)}{token}").unlink(missing_ok=True)


def sweep_expired(now: float | None = None) -> list[Path]:
    """Delete kept uploads, and incoming files left by a crashed process, older than
    `PBC_UPLOAD_KEEP_SECONDS`; the files deleted."""
    limit = (time.time() if now is None else now) - settings.PBC_UPLOAD_KEEP_SECONDS
    root = Path(settings.DATA_DIR) / "uploads"
    removed = []
    for path in [*root.glob("incoming/*"), *root.glob("kept/*/*")]:
        with contextlib.suppress(FileNotFoundError):
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed.append(path)
    return removed
