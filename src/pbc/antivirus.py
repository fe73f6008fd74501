"""Virus scanning of uploads through a ClamAV daemon (ASVS 12.4.2; no Django here).

`pbc.uploads.check_file` sends every uploaded file, before anything reads it, to the daemon named
by `PBC_CLAMD` (`UploadLimits.virus_scanner`): a Unix socket path (`/run/clamav/clamd.ctl`, or
`unix:` and the path) or `tcp:HOST:PORT`. The file goes in clamd's INSTREAM command, in chunks;
its answer names the signature found, or says the file is clean. A file is refused when a
signature is found and also when it could not be scanned (the daemon down, too slow, or the
file over clamd's `StreamMaxLength`, which should be at least `PBC_UPLOAD_MAX_BYTES`): it fails
closed.

Keeping the signatures current (freshclam) and running the daemon are the host's.
"""

from __future__ import annotations

import io
import os
import socket
import struct
from typing import IO

CHUNK = 64 * 1024
TIMEOUT_SECONDS = 120


class ScanFailed(Exception):
    """The file could not be scanned; the text says why."""


def _connect(address: str, timeout: float) -> socket.socket:
    if address.startswith("tcp:"):
        host, _, port = address[4:].rpartition(":")
        return socket.create_connection((host, int(port)), timeout=timeout)
    path = address.removeprefix("unix:")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


def _answer(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0"):
        piece = sock.recv(4096)
        if not piece:
            break
        data += piece
    return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def scan_stream(stream: IO[bytes], address: str, timeout: float = TIMEOUT_SECONDS) -> str | None:
    """The name of the signature clamd finds in the stream's bytes, or None when it is clean."""
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            while chunk := stream.read(CHUNK):
                sock.sendall(struct.pack(">I", len(chunk)) + chunk)
            sock.sendall(struct.pack(">I", 0))
            answer = _answer(sock)
    except (OSError, ValueError) as error:
        raise ScanFailed(f"the virus scanner did not answer ({error})") from error
    # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    text = answer.removeprefix("stream:").strip()
    if text == "OK":
        return None
    if text.endswith(" FOUND"):
        return text.removesuffix(" FOUND").strip()
    raise ScanFailed(f"the virus scanner answered {answer or 'nothing'!r}")


def scan(source: str | os.PathLike[str] | bytes, address: str) -> str | None:
    """`scan_stream` of a file on disk, or of bytes."""
    if isinstance(source, bytes):
        return scan_stream(io.BytesIO(source), address)
    with open(source, "rb") as stream:
        return scan_stream(stream, address)
