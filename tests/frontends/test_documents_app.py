"""The Documents area of the app: add files to a collection, list and remove them, search it; read-only in public."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from playground.policy.limits import PUBLIC_LIMITS, Policy
from tests.helpers import launch_app

pytestmark = pytest.mark.model  # the real MiniLM embedder


def test_files_are_added_listed_searched_and_removed(client: Any, tmp_path: Path) -> None:
    from gradio_client import handle_file

    notes = tmp_path / "parking.md"
    notes.write_text("# Parking\nVisitors park at the Quay Street car park. Ticket code P-7731 gives a discount.\n")
    menu = tmp_path / "menu.txt"
    menu.write_text("The roof cafe serves soup, bread and apple cake until four in the afternoon.\n")
    report, table, *_ = client.predict("app-docs", [handle_file(str(notes)), handle_file(str(menu))],
                                       api_name="/collection_add")  # fmt: skip
    assert "2 added" in report and sorted(row[0] for row in table["data"]) == ["menu.txt", "parking.md"]
    found, *_ = client.predict(query="code P-7731", collection="app-docs", api_name="/search")
    assert found.index("parking") < found.index("menu") and "**7731**" in found  # the query's words in bold
    report, table, *_ = client.predict("app-docs", ["menu.txt"], api_name="/collection_remove")
    assert "menu\\.txt" in report and [row[0] for row in table["data"]] == ["parking.md"]


def test_a_public_deployment_lists_collections_but_does_not_change_them(tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    notes = tmp_path / "notes.md"
    notes.write_text("Some notes.\n")
    demo, url = launch_app(policy=Policy(public=True, limits=PUBLIC_LIMITS))
    try:
        with pytest.raises(Exception, match="read-only on this public deployment"):
            Client(url, verbose=False).predict("public-docs", [handle_file(str(notes))], api_name="/collection_add")
    finally:
        demo.close()
