"""The project's shape that users and real Quarto rely on: the lock and environment.yml agree,
_quarto.yml declares what Quarto needs, chapters have stable names and the shared setup cell."""

from __future__ import annotations

import re

import yaml

from briefing.render.project import load_book
from briefing.render.qmd import parse_chapter
from conftest import ROOT


def canonical(name: str) -> str:
    """PEP 503 name normalisation: pypandoc_binary and pypandoc-binary are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonical(name)] = version
    return pins


def test_lock_has_exact_pins_and_no_registry_address():
    text = (ROOT / "requirements.lock").read_text()
    assert "://" not in text and "--index-url" not in text and "--extra-index-url" not in text
    pins = lock_pins()
    for required in ["pandas", "matplotlib", "nbclient", "ipykernel", "nbval", "pytest", "hypothesis",
                     "frictionless", "pypandoc-binary", "typst", "playwright"]:
        assert required in pins, required


def test_environment_yml_pins_every_package_of_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    pip = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                if "==" in line:
                    name, version = line.split("==")
                    pip[canonical(name)] = version
        elif "=" in dep and ">" not in dep:
            name, version = dep.split("=")
            if name != "python":
                conda[canonical(name)] = version
    assert {**conda, **pip} == lock_pins()
    assert any(str(d).startswith("quarto") for d in env["dependencies"])


def test_quarto_yml_declares_quarto_version_and_project_execute_dir():
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    assert config["quarto-required"] == ">=1.9.0"
    assert config["project"]["execute-dir"] == "project"
    assert config["project"]["type"] == "book"


def test_chapters_have_kebab_case_names_and_start_with_the_shared_setup():
    for entry in load_book(ROOT).entries:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.stem), entry.stem
        chapter = parse_chapter(entry.path)
        if not chapter.cells:
            continue
        first = chapter.cells[0]
        assert first.options.get("include") is False, entry.path.name
        assert "briefing.chapter_setup" in first.code, entry.path.name


def test_every_chapter_with_code_ends_with_its_list_of_sources():
    """The last cell prints the chapter's sources (briefing.sources.chapter_sources): the list its popups point
    to, and the record of which reference got which anchor; a value printed after it would be missing from it."""
    for entry in load_book(ROOT).entries:
        chapter = parse_chapter(entry.path)
        if not chapter.cells:
            continue
        assert chapter.cells[-1].code.strip() == "chapter_sources()", entry.path.name
        assert chapter.blocks[-1] is chapter.cells[-1], f"{entry.path.name}: text after the list of sources"
