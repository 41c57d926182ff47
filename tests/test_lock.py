"""The locks (bin/lock) agree with requirements*.txt: every requirement pinned within its range, with hashes, and the
runtime lock pins what the development lock does."""

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

BASE_DIR = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)")


def requirements(name: str) -> list[Requirement]:
    """The requirements a requirements file lists (an included file's too)."""
    found = []
    for line in (BASE_DIR / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += requirements(line.removeprefix("-r ").strip())
        elif line:
            found.append(Requirement(line))
    return found


def pins(name: str) -> dict[str, str]:
    """A lock's pinned versions by package name, after checking that each pin carries a hash."""
    text = (BASE_DIR / name).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    found = {}
    for entry in entries:
        match = PIN.match(entry)
        assert match, entry
        assert "--hash=sha256:" in entry, f"{match[1]} has no hash in {name}"
        found[canonicalize_name(match[1])] = match[2]
    return found


@pytest.mark.parametrize(
    ("source", "lock"), [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")]
)
def test_every_requirement_is_locked_within_its_range_with_hashes(source, lock):
    locked = pins(lock)

    for requirement in requirements(source):
        version = locked.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in {lock}: run bin/lock"
        assert requirement.specifier.contains(version, prereleases=True), f"{lock} has {requirement.name} {version}"


def test_the_runtime_lock_pins_what_the_development_lock_does():
    development = pins("requirements-dev.lock")

    assert {name: development.get(name) for name in pins("requirements.lock")} == pins("requirements.lock")
