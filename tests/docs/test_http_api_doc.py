"""docs/http-api.md is generated from the three services' OpenAPI documents and never drifts from them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts import api_docs
from tests.fixtures.paths import REPO

PAGE = REPO / "docs" / "http-api.md"


def test_the_page_is_what_the_openapi_documents_say() -> None:
    # The command a developer runs, exactly: on a stale page it prints the diff and the fix.
    done = subprocess.run([sys.executable, "scripts/api_docs.py", "--check"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_stale_page_is_caught_and_rewritten_with_its_preamble_kept(tmp_path: Path) -> None:
    page = tmp_path / "http-api.md"
    preamble, generated = PAGE.read_text().split(api_docs.MARKER, 1)
    stale = generated.replace("| `limit` | query | integer | no | at least 1; at most 5000;", "| `limit` | query | integer | no |")
    assert stale != generated
    page.write_text(preamble + "A line only the preamble has.\n" + api_docs.MARKER + stale)
    assert api_docs.main(["--check", "--page", str(page)]) == 1
    assert api_docs.main(["--page", str(page)]) == 0
    assert page.read_text() == preamble + "A line only the preamble has.\n" + api_docs.MARKER + generated
    assert api_docs.main(["--check", "--page", str(page)]) == 0

