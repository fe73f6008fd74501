"""No secret is kept in the repository (ASVS 2.10.4): the files git tracks hold no private key,
no data directory's key file and no production secret; the secrets that are in the source are
development ones, public on purpose, and production refuses each (tests/web/test_production_mode.py)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pbc.config import production

REPO = Path(__file__).resolve().parent.parent
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")
ASSIGNED_SECRET = re.compile(
    r"^\s*(?:export\s+)?(PBC_SECRET_KEY|PBC_PASSWORD_PEPPER|PBC_OTP_KEY|PBC_EMAIL_PASSWORD)"
    r"\s*=\s*['\"]([^'\"\s$]{8,})['\"]",
    re.MULTILINE,
)


def tracked_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    return [REPO / n.decode() for n in names if n]


def test_no_private_key_key_file_or_assigned_secret_is_tracked() -> None:
    found = []
    for path in tracked_files():
        relative = path.relative_to(REPO).as_posix()
        if path.name in {"secret_key", ".env"} or relative.startswith("var/"):
            found.append(f"{relative}: a data directory's or environment file")
            continue
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        if PRIVATE_KEY.search(text):
            found.append(f"{relative}: a private key")
        for name, value in ASSIGNED_SECRET.findall(text):
            found.append(f"{relative}: {name} is given a value ({value[:4]}...)")
    assert not found, "\n".join(found)


def test_the_development_secrets_in_the_source_are_refused_in_production() -> None:
    problems = production.refusals(
        debug=False,
        secret_key="x" * 60,
        development_key=None,
        allowed_hosts=["pbc.example.nhs.uk"],
        email_host="smtp.example.nhs.uk",
        password_pepper=production.DEVELOPMENT_PEPPER,
        otp_key=production.DEVELOPMENT_OTP_KEY,
        database_url="postgres://pbc:pbc@127.0.0.1:5432/pbc",
    )
    joined = "\n".join(problems)
    assert "development pepper" in joined and "PBC_OTP_KEY is the development key" in joined
    assert "DATABASE_URL has a default or example password" in joined
