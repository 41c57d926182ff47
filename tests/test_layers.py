"""The layers keep to their places: rules speak no HTTP, and the shared floor imports no app."""

import ast
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
APPS = ("screenplays", "clips", "credits", "continuity")
HTTP_MODULES = ("rest_framework", "django.http")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


RULE_FILES = sorted(
    path
    for pattern in ("*/services.py", "*/selectors.py", "directorstudio/*/services.py")
    for path in REPO_DIR.glob(pattern)
)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: str(path.relative_to(REPO_DIR)))
def test_services_and_selectors_speak_no_http(path):
    assert [module for module in imported_modules(path) if module.startswith(HTTP_MODULES)] == []


def test_there_are_services_and_selectors_in_every_app():
    assert {path.relative_to(REPO_DIR).as_posix() for path in RULE_FILES} >= {
        f"{app}/{layer}.py" for app in APPS for layer in ("services", "selectors")
    }


def test_the_shared_floor_imports_no_app_but_in_the_demo():
    floor = [path for path in (REPO_DIR / "directorstudio").rglob("*.py") if "demo" not in path.parts]
    imports = {path.name: imported_modules(path) for path in floor}

    assert {name: sorted(m for m in modules if m.split(".")[0] in APPS) for name, modules in imports.items()} == {
        name: [] for name in imports
    }


def test_the_continuity_engine_imports_no_django():
    assert [
        m for m in imported_modules(REPO_DIR / "continuity" / "engine.py") if m.startswith(("django", "rest"))
    ] == []
