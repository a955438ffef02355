"""Issue 10 item 12: package metadata (SPDX license, known classifiers, a LICENSE file) and the pinned
constraints file that `make install` / `make install-test` (hence CI) install with."""

from __future__ import annotations

import re
import subprocess
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from trove_classifiers import classifiers as KNOWN_CLASSIFIERS

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            assert pinned, f"not pinned: {line}"
            found[canonicalize_name(name)] = pinned
    return found


def test_license_and_classifiers():
    assert PROJECT["license"] == "MIT"  # an SPDX expression (PEP 639), not free text
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert set(PROJECT["classifiers"]) <= KNOWN_CLASSIFIERS
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])  # PEP 639 forbids both


def test_every_dependency_is_pinned_within_its_range():
    pinned = pins()
    declared = [*PROJECT["dependencies"], *(r for extra in PROJECT["optional-dependencies"].values()
                                            for r in extra)]
    for text in declared:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pinned, f"{name} is missing from constraints.txt"
        assert req.specifier.contains(pinned[name], prereleases=True), (text, pinned[name])


def test_the_test_venv_holds_the_pinned_versions():
    for name, pinned in pins().items():
        assert version(name) == pinned, name


def test_make_installs_with_the_constraints():
    plan = subprocess.run(["make", "-n", "-B", "install", "install-test"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60).stdout
    installs = [line for line in plan.splitlines() if re.search(r"pip install .*-e ", line)]
    assert len(installs) == 2 and all("-c constraints.txt" in line for line in installs), installs
