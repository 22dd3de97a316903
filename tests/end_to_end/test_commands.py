# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The subcommands end to end against one running `storehook serve`.

send-test, stores list/remove, actions list, exit statuses and --json output.
The tests share one serve process and run in file order; removing a store
comes last.
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from app.stores.secrets import SECRET_NAMES
from tests.end_to_end.harness import StorehookHarness, free_port, is_iso_utc
from tests.helpers.wait import wait_until

ORDER_ACTION = """
options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/order/created"]}}
}


def run(params, logger):
    logger.info("order %s created in %s", params["id"], params["storeHash"])
"""

PRODUCT_ACTION = """
options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/product/*"]}},
    "retries": 2,
    "timeout": 5,
}


def run(params):
    pass
"""

BROKEN_ACTION = """
options = {"triggers": {"api": False, "bigcommerce": {"webhooks": [
def run(params):
"""

JSON_COMMANDS = (
    ("stores", "list", "--json"),
    ("hooks", "status", "--json"),
    ("actions", "list", "--json"),
    ("queue", "list", "--json"),
)


class Setup:
    """The module's running serve and its two sandbox stores."""

    def __init__(self, harness: StorehookHarness, stores: list[Any]) -> None:
        self.harness = harness
        self.stores = stores

    def hashes(self) -> list[str]:
        return [store.store_hash for store in self.stores]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    with StorehookHarness(tmp_path_factory.mktemp("commands")) as harness:
        harness.write_action("order_created", ORDER_ACTION)
        harness.write_action("product_changes", PRODUCT_ACTION)
        stores = [harness.add_sandbox_store(0), harness.add_sandbox_store(1)]
        harness.start_serve()
        wait_until(
            lambda: all(harness.sandbox.hooks(s.store_hash) for s in stores),
            timeout=15,
        )
        yield Setup(harness, stores)


def test_send_test_queues_a_job_for_the_resource(setup: Setup) -> None:
    store_hash = setup.hashes()[0]

    result = setup.harness.run(
        "send-test", "store/order/created", "--store", store_hash, "--id", "77"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("200 ")
    [job] = wait_until(
        lambda: _job(setup.harness, store_hash, "succeeded"),
        timeout=15,
        message="send-test's delivery never ran",
    )
    assert job["resource_id"] == "77"
    assert job["action"] == "order_created"
    assert job["scope"] == "store/order/created"
    assert job["queue"] == "bigcommerce-webhook"
    assert is_iso_utc(job["created_at"])
    shown = setup.harness.json_command("queue", "show", str(job["id"]), "--json")
    assert f"order 77 created in {store_hash}" in json.dumps(shown["attempt_log"])


def test_send_test_with_an_unknown_scope_is_a_usage_error(setup: Setup) -> None:
    result = setup.harness.run(
        "send-test", "store/nothing/happened", "--store", setup.hashes()[0]
    )

    assert result.returncode == 2
    assert "store/nothing/happened" in result.stderr
    assert "Traceback" not in result.stderr


def test_send_test_with_the_receiver_down_fails_in_one_line(setup: Setup) -> None:
    nobody = f"127.0.0.1:{free_port()}"

    result = setup.harness.run(
        "send-test",
        "store/order/created",
        "--store",
        setup.hashes()[0],
        "--listen",
        nobody,
    )

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert nobody in lines[0]
    assert "storehook serve" in lines[0]


def test_send_test_for_an_unknown_store_fails_in_one_line(setup: Setup) -> None:
    result = setup.harness.run("send-test", "store/order/created", "--store", "zz9")

    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "zz9" in result.stderr


def test_stores_list_json(setup: Setup) -> None:
    stores = setup.harness.json_command("stores", "list", "--json")

    assert [s["store_hash"] for s in stores] == sorted(setup.hashes())
    for document, sandbox_store in zip(
        stores, sorted(setup.stores, key=lambda s: s.store_hash), strict=True
    ):
        assert document["name"] == sandbox_store.name
        assert document["api_url"] == setup.harness.sandbox.api_url
        assert document["status"]
        assert document["credentials_error"] == ""
    text = json.dumps(stores)
    for sandbox_store in setup.stores:
        assert sandbox_store.access_token not in text


def test_actions_list_json_shows_a_broken_file_and_the_others(setup: Setup) -> None:
    setup.harness.write_action("broken", BROKEN_ACTION)

    actions = setup.harness.json_command("actions", "list", "--json")

    by_name = {action["name"]: action for action in actions}
    assert set(by_name) == {"broken", "order_created", "product_changes"}
    assert by_name["broken"]["error"]
    assert by_name["broken"]["triggers"] == []
    assert by_name["broken"]["path"].endswith("broken.py")
    assert by_name["order_created"]["triggers"] == ["store/order/created"]
    assert by_name["order_created"]["error"] is None
    assert by_name["product_changes"]["triggers"] == ["store/product/*"]
    text = setup.harness.run("actions", "list")
    assert text.returncode == 0
    assert "broken: ERROR" in text.stdout
    assert "order_created: store/order/created" in text.stdout

    # The running serve keeps working with the broken file next to the others.
    result = setup.harness.run(
        "send-test", "store/order/created", "--store", setup.hashes()[0], "--id", "78"
    )
    assert result.returncode == 0, result.stderr
    wait_until(lambda: _job(setup.harness, setup.hashes()[0], "succeeded", "78"))


@pytest.mark.parametrize("command", JSON_COMMANDS, ids=" ".join)
def test_json_output_is_exactly_one_document(setup: Setup, command: Any) -> None:
    result = setup.harness.run(*command)

    assert result.returncode == 0, result.stderr
    # json.loads refuses anything before or after the one document; warnings
    # (such as the broken action's) go to stderr.
    assert isinstance(json.loads(result.stdout), list)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "status"),
    [
        (("stores", "list"), 0),
        (("queue", "list", "--state", "succeeded"), 0),
        (("queue", "show", "999999"), 1),
        (("queue", "retry", "999999"), 1),
        (("stores", "remove", "nosuchstore"), 1),
        (("queue", "list", "--state", "bogus"), 2),
        (("queue", "show", "not-a-number"), 2),
        (("send-test", "store/order/created"), 2),
        (("stores", "frobnicate"), 2),
        (("--listen", "nonsense", "queue", "list"), 2),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else str(value),
)
def test_exit_statuses(setup: Setup, arguments: Any, status: int) -> None:
    result = setup.harness.run(*arguments)

    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    if status == 1:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_stores_remove_unregisters_forgets_secrets_and_keeps_history(
    setup: Setup,
) -> None:
    harness = setup.harness
    removed, kept = setup.hashes()[1], setup.hashes()[0]
    sent = harness.run("send-test", "store/order/created", "--store", removed)
    assert sent.returncode == 0, sent.stderr
    wait_until(lambda: _job(harness, removed, "succeeded"), timeout=15)
    assert harness.secret(removed, "access_token")

    result = harness.run("stores", "remove", removed)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Removed {removed}."
    assert harness.sandbox.hooks(removed) == []
    assert harness.sandbox.hooks(kept)
    for name in SECRET_NAMES:
        assert harness.secret(removed, name) is None, name
    assert harness.secret(kept, "access_token")
    stores = harness.json_command("stores", "list", "--json")
    assert [s["store_hash"] for s in stores] == [kept]
    assert _job(harness, removed, "succeeded")


def _job(
    harness: StorehookHarness, store_hash: str, state: str, resource_id: str = ""
) -> list[dict[str, Any]]:
    """The newest job of a store in a state, as a list of one (or none)."""
    for job in harness.queue_list():
        if (
            job["store_hash"] == store_hash
            and job["state"] == state
            and (not resource_id or job["resource_id"] == resource_id)
        ):
            return [job]
    return []
