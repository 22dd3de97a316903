# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rewriting an action file's triggers touches only the webhooks list."""

from pathlib import Path

import pytest

from app.actions.rewrite import OptionsNotEditable, read_triggers, rewrite_triggers

ACTION = '''\
"""Tag big orders."""  # the docstring stays
# A comment before options.
import logging

options = {
    # Which topics run this action.
    "triggers": {"api": False, "bigcommerce": {"webhooks": [
        "store/order/created",  # new orders
        # status changes too
        "store/order/updated",
    ]}},
    'retries':   3,   # odd spacing kept
    "timeout": 30,
}


async def run(params, logger):
    options = {"local": True}  # not the action's options
    logger.info("order %s", params["id"])
'''


def _write(tmp_path: Path, text: str, name: str = "action.py") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _list_region(text: str) -> tuple[int, int]:
    """Where the webhooks list starts and ends (its brackets included)."""
    start = text.index("[", text.index('"webhooks"'))
    return start, text.index("]", start) + 1


def _outside_list(text: str) -> tuple[str, str]:
    start, end = _list_region(text)
    return text[:start], text[end:]


def test_read_triggers_in_file_order(tmp_path: Path) -> None:
    path = _write(tmp_path, ACTION)

    assert read_triggers(path) == ["store/order/created", "store/order/updated"]


def test_adding_a_scope_changes_only_the_list(tmp_path: Path) -> None:
    path = _write(tmp_path, ACTION)

    rewrite_triggers(
        path, ["store/order/created", "store/order/updated", "store/product/*"]
    )

    after = path.read_text(encoding="utf-8")
    assert _outside_list(after) == _outside_list(ACTION)
    assert read_triggers(path) == [
        "store/order/created",
        "store/order/updated",
        "store/product/*",
    ]
    # The kept elements keep their comments; the new one follows their layout.
    start, end = _list_region(after)
    assert after[start:end] == (
        "[\n"
        '        "store/order/created",  # new orders\n'
        "        # status changes too\n"
        '        "store/order/updated",\n'
        '        "store/product/*",\n'
        "    ]"
    )


def test_removing_a_scope_keeps_the_other_and_its_comment(tmp_path: Path) -> None:
    path = _write(tmp_path, ACTION)

    rewrite_triggers(path, ["store/order/created"])

    after = path.read_text(encoding="utf-8")
    assert _outside_list(after) == _outside_list(ACTION)
    assert read_triggers(path) == ["store/order/created"]
    assert '"store/order/created",  # new orders' in after
    assert "store/order/updated" not in after


def test_removing_every_scope_leaves_an_empty_list(tmp_path: Path) -> None:
    path = _write(tmp_path, ACTION)

    rewrite_triggers(path, [])

    after = path.read_text(encoding="utf-8")
    assert _outside_list(after) == _outside_list(ACTION)
    assert read_triggers(path) == []


def test_single_line_list_keeps_its_quotes(tmp_path: Path) -> None:
    text = "options = {'triggers': {'bigcommerce': {'webhooks': ['store/cart/*']}}}\n"
    path = _write(tmp_path, text)

    rewrite_triggers(path, ["store/cart/*", "store/order/created"])

    expected = (
        "options = {'triggers': {'bigcommerce': "
        "{'webhooks': ['store/cart/*', 'store/order/created']}}}\n"
    )
    assert path.read_text(encoding="utf-8") == expected


def test_missing_keys_are_added_to_the_literal(tmp_path: Path) -> None:
    text = 'options = {\n    "retries": 2,  # two\n}\n\n\ndef run():\n    pass\n'
    path = _write(tmp_path, text)

    rewrite_triggers(path, ["store/order/created"])

    after = path.read_text(encoding="utf-8")
    assert read_triggers(path) == ["store/order/created"]
    assert after.startswith('options = {\n    "retries": 2,  # two\n')
    assert after.endswith("}\n\n\ndef run():\n    pass\n")


def test_crlf_line_endings_and_non_ascii_survive(tmp_path: Path) -> None:
    text = ACTION.replace("Tag big orders.", "Étiquette ✓").replace("\n", "\r\n")
    path = _write(tmp_path, text)

    rewrite_triggers(path, ["store/order/updated", "store/cart/created"])

    after = path.read_bytes().decode("utf-8")
    assert _outside_list(after) == _outside_list(text)
    assert read_triggers(path) == ["store/order/updated", "store/cart/created"]


def test_unchanged_triggers_do_not_touch_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, ACTION)
    before = path.stat().st_mtime_ns

    rewrite_triggers(path, ["store/order/created", "store/order/updated"])

    assert path.stat().st_mtime_ns == before
    assert path.read_text(encoding="utf-8") == ACTION


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    path = _write(tmp_path, ACTION)

    rewrite_triggers(path, ["store/order/created"])

    assert [p.name for p in tmp_path.iterdir()] == ["action.py"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            'options = dict(triggers={"bigcommerce": {"webhooks": []}})\n',
            "options is built by a function call, not a literal",
        ),
        (
            'options = {"retries": 1}\noptions = {"retries": 2}\n',
            "options is assigned more than once",
        ),
        (
            'options = {"retries": 1}\noptions["timeout"] = 5\n',
            "options is assigned more than once",
        ),
        ("def run():\n    options = {}\n", "no options in this file"),
        ("options = BASE\n", "options is not a dict literal"),
        (
            'options = {"triggers": {"bigcommerce": {"webhooks": SCOPES}}}\n',
            "options triggers.bigcommerce.webhooks is not a list literal",
        ),
        (
            'options = {"triggers": {"bigcommerce": {"webhooks": [PREFIX + "x"]}}}\n',
            "the webhooks list holds something other than plain strings",
        ),
    ],
)
def test_options_that_cannot_be_rewritten_are_refused(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = _write(tmp_path, text)

    with pytest.raises(OptionsNotEditable) as refused:
        rewrite_triggers(path, ["store/order/created"])

    assert refused.value.reason == reason
    assert path.read_text(encoding="utf-8") == text
    with pytest.raises(OptionsNotEditable):
        read_triggers(path)


def test_file_with_a_syntax_error_is_refused(tmp_path: Path) -> None:
    text = ACTION.replace("async def run(params, logger):", "async def run(params")
    path = _write(tmp_path, text)

    with pytest.raises(OptionsNotEditable) as refused:
        rewrite_triggers(path, ["store/order/created"])

    assert refused.value.reason.startswith("the file has a syntax error on line")
    assert path.read_text(encoding="utf-8") == text


def test_comment_on_the_last_scope_stays_with_it(tmp_path: Path) -> None:
    text = (
        'options = {"triggers": {"bigcommerce": {"webhooks": [\n'
        '    "store/cart/created",  # carts\n'
        "]}}}\n"
    )
    path = _write(tmp_path, text)

    rewrite_triggers(path, ["store/cart/created", "store/order/created"])

    assert path.read_text(encoding="utf-8") == (
        'options = {"triggers": {"bigcommerce": {"webhooks": [\n'
        '    "store/cart/created",  # carts\n'
        '    "store/order/created",\n'
        "]}}}\n"
    )
