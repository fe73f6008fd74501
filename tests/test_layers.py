"""The seams between the parts of pbc, checked by reading every import of the source tree.

- The core (`pbc.warehouse`: datasets, schema, layouts, ingest, store, engine; `pbc.analytics`;
  `pbc.stats`) is plain Python over Ibis and Arrow: it imports no Django, no Django app (ours
  or a library's) and of pbc only the core and the plain helpers in `CORE_HELPERS`.
- No app's views or reports read another app's models: they call that app's `queries.py`,
  which returns plain data. `FOREIGN_MODELS_ALLOWED` lists the few exceptions and why.

Imports are read with `ast`, at any depth (an import inside a function counts), so nothing
needs importing to be checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

SRC = Path(__file__).resolve().parents[1] / "src"

CORE = ("pbc.warehouse", "pbc.analytics", "pbc.stats")
# Plain modules of pbc outside the core that the core may use; they are held to the core's rule.
CORE_HELPERS = ("pbc.codes", "pbc.periods", "pbc.uploads", "pbc.antivirus", "pbc.exports")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "pbc.warehouse.ingest"
    line: int
    target: str  # the module imported, e.g. "django.conf" or "pbc.orgs.models"
    text: str  # as written, e.g. "from django.conf import settings"
    name: str = ""  # the name a `from` import takes from the target, e.g. "settings"

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}): {self.text}"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Every import in the file, at any depth. `from pkg import name` yields `pkg.name` as the
    target when `name` is a module of the tree (`from pbc import stats`), else `pkg`."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, node.lineno, alias.name, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                text = f"from {'.' * node.level}{node.module or ''} import {alias.name}"
                if is_module(sub, root):
                    yield Import(module, node.lineno, sub, text)
                else:
                    yield Import(module, node.lineno, base, text, alias.name)


def is_module(name: str, root: Path) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def modules_under(root: Path, *packages: str) -> Iterator[Path]:
    for package in packages:
        path = root.joinpath(*package.split("."))
        if path.with_suffix(".py").is_file():
            yield path.with_suffix(".py")
        else:
            yield from sorted(path.rglob("*.py"))


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def django_apps() -> tuple[str, ...]:
    """Every installed Django app's package (ours and libraries') and Django itself."""
    return ("django", *(app.split(".apps.")[0] for app in settings.INSTALLED_APPS))


def core_violations(root: Path = SRC) -> list[str]:
    """Imports by the core and its helpers of Django, a Django app or pbc outside the core."""
    forbidden = django_apps()
    out = []
    for path in modules_under(root, *CORE, *CORE_HELPERS):
        for imp in imports_of(path, root):
            top = imp.target.split(".")[0]
            if within(imp.target, forbidden) or (
                top == "pbc" and not within(imp.target, (*CORE, *CORE_HELPERS))
            ):
                out.append(str(imp))
    return out


def test_the_core_imports_no_django_and_no_app() -> None:
    assert core_violations() == []


def test_the_core_check_names_the_module_and_the_import_even_inside_a_function(
    tmp_path: Path,
) -> None:
    (tmp_path / "pbc" / "warehouse").mkdir(parents=True)
    (tmp_path / "pbc" / "orgs").mkdir()
    for init in ("pbc", "pbc/warehouse", "pbc/orgs"):
        (tmp_path / init / "__init__.py").write_text("")
    (tmp_path / "pbc" / "orgs" / "models.py").write_text("")
    (tmp_path / "pbc" / "warehouse" / "store.py").write_text(
        "import json\nfrom . import engine\n\n\ndef f():\n    from pbc.orgs import models\n"
        "    from django.db import transaction\n    import pbc.web.uploads\n"
    )
    (tmp_path / "pbc" / "warehouse" / "engine.py").write_text("from .store import f\n")
    assert core_violations(tmp_path) == [
        "pbc.warehouse.store (line 6): from pbc.orgs import models",
        "pbc.warehouse.store (line 7): from django.db import transaction",
        "pbc.warehouse.store (line 8): import pbc.web.uploads",
    ]


@pytest.mark.parametrize("package", CORE)
def test_each_core_package_is_read(package: str) -> None:
    """The check reads real files: each core package has modules and imports to check."""
    paths = list(modules_under(SRC, package))
    assert len(paths) > 3
    assert any(imp.target.startswith("pbc.") for p in paths for imp in imports_of(p, SRC))


# Models of another app that an app's code may import, and why. Everything else another app
# holds is read through that app's `queries.py` (plain data) or its own functions.
ORGANISATIONS = (
    "the organisations every app's rows belong to (their foreign keys point at them) and "
    "every page is scoped to and filtered by"
)
FOREIGN_MODELS_ALLOWED = {
    ("pbc.orgs.models", "Pct"): ORGANISATIONS,
    ("pbc.orgs.models", "Locality"): ORGANISATIONS,
    ("pbc.orgs.models", "Practice"): ORGANISATIONS,
    ("pbc.orgs.models", "Provider"): ORGANISATIONS,
    ("pbc.orgs.models", "AuditEvent"): (
        "the audit log: pages show the history of the object they show (a contract, a "
        "return) and the audit page lists the log"
    ),
    ("pbc.orgs.models", "Membership"): (
        "who holds which role where: the site's user administration (pbc.web) manages them"
    ),
}


def django_app_packages(root: Path) -> list[str]:
    """Our Django apps: the packages of pbc with an `apps.py`."""
    return [f"pbc.{p.parent.name}" for p in sorted((root / "pbc").glob("*/apps.py"))]


def foreign_model_imports(root: Path = SRC) -> list[str]:
    """Imports by an app's code (anything but its models and migrations) of another app's
    models that `FOREIGN_MODELS_ALLOWED` does not list."""
    apps = django_app_packages(root)
    out = []
    for app in apps:
        for path in modules_under(root, app):
            module = module_name(path, root)
            if within(module, (f"{app}.models", f"{app}.migrations")):
                continue
            for imp in imports_of(path, root):
                owner = next((a for a in apps if within(imp.target, (f"{a}.models",))), None)
                if owner is None or owner == app:
                    continue
                if (imp.target, imp.name) not in FOREIGN_MODELS_ALLOWED:
                    out.append(str(imp))
    return out


def test_no_app_reads_another_apps_models_but_the_allowed_ones() -> None:
    assert foreign_model_imports() == []


def test_the_foreign_model_check_names_the_module_and_the_import(tmp_path: Path) -> None:
    for app in ("orgs", "plans", "finance"):
        (tmp_path / "pbc" / app).mkdir(parents=True)
        for name in ("__init__", "apps", "models"):
            (tmp_path / "pbc" / app / f"{name}.py").write_text("")
    (tmp_path / "pbc" / "__init__.py").write_text("")
    (tmp_path / "pbc" / "finance" / "models.py").write_text("from pbc.plans.models import Plan\n")
    (tmp_path / "pbc" / "finance" / "views.py").write_text(
        "from pbc.orgs.models import Locality\nfrom pbc.finance.models import SpendFact\n\n\n"
        "def page():\n    from pbc.plans.models import BusinessCase\n"
        "    from pbc.plans import models\n    from pbc.plans import queries\n"
    )
    assert foreign_model_imports(tmp_path) == [
        "pbc.finance.views (line 6): from pbc.plans.models import BusinessCase",
        "pbc.finance.views (line 7): from pbc.plans import models",
    ]


def test_the_allowed_foreign_models_exist_and_are_used() -> None:
    """Each entry of the allow-list names a real model that some app's code imports."""
    from django.apps import apps

    used = {
        (imp.target, imp.name)
        for app in django_app_packages(SRC)
        for path in modules_under(SRC, app)
        for imp in imports_of(path, SRC)
    }
    for module, name in FOREIGN_MODELS_ALLOWED:
        label = module.split(".")[1]
        assert apps.get_model(label, name), (module, name)
        assert (module, name) in used, f"{module}.{name} is allowed but no app imports it"


def guarded_imports(root: Path = SRC) -> list[str]:
    """Imports of pbc inside a `try` whose handlers catch a failed import (ImportError,
    ModuleNotFoundError or anything broader): a seam that silently falls back when the other
    side is missing."""
    broad = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
    out = []
    for path in sorted((root / "pbc").rglob("*.py")):
        module = module_name(path, root)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Try):
                continue
            caught = {
                n.id
                for h in node.handlers
                for n in ast.walk(h.type)
                if h.type is not None and isinstance(n, ast.Name)
            }
            if not (caught & broad or any(h.type is None for h in node.handlers)):
                continue
            for stmt in node.body:
                for inner in ast.walk(stmt):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("pbc"):
                        out.append(f"{module} (line {inner.lineno}): from {inner.module}")
                    elif isinstance(inner, ast.Import) and any(
                        a.name.startswith("pbc") for a in inner.names
                    ):
                        out.append(f"{module} (line {inner.lineno}): import")
    return out


def test_no_seam_falls_back_silently_when_the_other_app_is_missing(tmp_path: Path) -> None:
    assert guarded_imports() == []
    (tmp_path / "pbc").mkdir()
    (tmp_path / "pbc" / "hook.py").write_text(
        "try:\n    from pbc.validation.finance import agreed_recoveries\n"
        "except ImportError:\n    agreed_recoveries = lambda *a: []\n"
    )
    assert guarded_imports(tmp_path) == ["pbc.hook (line 2): from pbc.validation.finance"]


def test_the_finance_validation_recoveries_hook_is_a_plain_import() -> None:
    """The finance refresh credits the validation app's agreed recoveries through a
    module-level import (a missing or renamed function fails at start-up, not as no credits)."""
    path = SRC / "pbc" / "finance" / "refresh.py"
    top_level = [
        (node.module, alias.name)
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]
    assert ("pbc.validation.finance", "agreed_recoveries") in top_level
