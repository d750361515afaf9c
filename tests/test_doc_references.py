"""Every file the documentation and the CLI's help point a reader to exists:
markdown links, and paths into the repository written in the text."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from labelassist.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]
# A path written in the text starts at one of the repository's top folders (not
# at dist/ or build/, which a build makes).
TOP_FOLDERS = ("benchmarks", "client", "deploy", "docs", "protos", "services", "tests")
REPOSITORY_PATH = re.compile(rf"(?<![\w./-])((?:{'|'.join(map(re.escape, TOP_FOLDERS))})/[\w./-]*)")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
# Where the commands of the examples write (git ignores it); the examples make these paths.
OUTPUT_FOLDER = "benchmarks/out/"


def repository_paths(text: str) -> set[str]:
    return {path.rstrip(".,:;") for path in REPOSITORY_PATH.findall(text) if not path.startswith(OUTPUT_FOLDER)}


def help_texts(parser: argparse.ArgumentParser) -> list[str]:
    """The help of a parser and of all its subcommands, unwrapped (argparse wraps at hyphens)."""
    texts = [parser.description or "", parser.epilog or ""]
    for action in parser._actions:
        texts.append(action.help or "")
        if isinstance(action, argparse._SubParsersAction):
            texts += [choice.help or "" for choice in action._choices_actions]
            for subparser in action.choices.values():
                texts += help_texts(subparser)
    return texts


def test_the_paths_are_found_where_they_are_written():
    assert repository_paths("see docs/formats.md, and `benchmarks/README.md`.") == {"docs/formats.md",
                                                                                     "benchmarks/README.md"}
    assert repository_paths("labelassist/client/napari_plugin/napari.yaml") == set()


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_link_of_a_page_leads_to_a_file(page):
    targets = [t for t in MARKDOWN_LINK.findall(page.read_text()) if "://" not in t and not t.startswith("mailto:")]
    assert [t for t in targets if not (page.parent / t).exists()] == []


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_repository_path_a_page_names_exists(page):
    assert sorted(p for p in repository_paths(page.read_text()) if not (ROOT / p).exists()) == []


def test_every_repository_path_the_cli_help_names_exists():
    named = {path for text in help_texts(build_parser()) for path in repository_paths(text)}
    assert named
    assert sorted(p for p in named if not (ROOT / p).exists()) == []
