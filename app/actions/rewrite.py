# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading and rewriting the webhook triggers in an action file's `options` literal.

Only the `triggers.bigcommerce.webhooks` list changes; every other byte of the
file (comments, formatting, other keys) stays as it was. libcst keeps the whole
concrete syntax tree, so a file rendered from an edited tree differs from the
original only inside the node that was replaced.
"""

import logging
import os
import tempfile
from pathlib import Path

import libcst as cst

log = logging.getLogger(__name__)

OPTIONS_NAME = "options"
_KEY_PATH = ("triggers", "bigcommerce", "webhooks")


class OptionsNotEditable(Exception):
    """The file's triggers cannot be rewritten safely; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _OptionsFinder(cst.CSTVisitor):
    """Collects every module-level binding or mutation of `options`.

    Function and class bodies are skipped: a local called options is not the
    action's options.
    """

    def __init__(self) -> None:
        super().__init__()
        self.assignments: list[cst.Assign | cst.AnnAssign] = []
        self.other_bindings = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        targets = [target.target for target in node.targets]
        if any(_is_options(target) for target in targets):
            self.assignments.append(node)
        elif any(_touches_options(target) for target in targets):
            self.other_bindings += 1

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if _is_options(node.target) and node.value is not None:
            self.assignments.append(node)
        elif _touches_options(node.target):
            self.other_bindings += 1

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if _touches_options(node.target):
            self.other_bindings += 1

    def visit_For(self, node: cst.For) -> None:
        if _touches_options(node.target):
            self.other_bindings += 1

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            bound = alias.asname.name if alias.asname else alias.name
            if _is_options(bound):
                self.other_bindings += 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            bound = alias.asname.name if alias.asname else alias.name
            if _is_options(bound):
                self.other_bindings += 1


def _is_options(node: cst.BaseExpression | cst.BaseAssignTargetExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == OPTIONS_NAME


def _touches_options(node: cst.CSTNode) -> bool:
    # options["x"] = ..., options.x = ..., (a, options) = ...
    if isinstance(node, cst.Name):
        return node.value == OPTIONS_NAME
    if isinstance(node, cst.Subscript | cst.Attribute):
        return _touches_options(node.value)
    if isinstance(node, cst.Tuple | cst.List):
        return any(_touches_options(element.value) for element in node.elements)
    if isinstance(node, cst.StarredElement):
        return _touches_options(node.value)
    return False


def _parse(path: Path) -> cst.Module:
    try:
        source = path.read_bytes()
    except OSError as error:
        raise OptionsNotEditable(f"cannot read the file: {error.strerror}") from error
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise OptionsNotEditable(
            f"the file has a syntax error on line {error.raw_line}"
        ) from error


def _options_dict(module: cst.Module) -> cst.Dict:
    finder = _OptionsFinder()
    module.visit(finder)
    if not finder.assignments and not finder.other_bindings:
        raise OptionsNotEditable("no options in this file")
    if len(finder.assignments) + finder.other_bindings > 1:
        raise OptionsNotEditable("options is assigned more than once")
    if not finder.assignments:
        raise OptionsNotEditable("options is not assigned a literal")
    value = finder.assignments[0].value
    if isinstance(value, cst.Call):
        raise OptionsNotEditable("options is built by a function call, not a literal")
    if not isinstance(value, cst.Dict):
        raise OptionsNotEditable("options is not a dict literal")
    return value


def _key_of(element: cst.BaseDictElement) -> str | None:
    if not isinstance(element, cst.DictElement):
        return None
    if not isinstance(element.key, cst.SimpleString):
        return None
    key = element.key.evaluated_value
    return key if isinstance(key, str) else None


def _find(container: cst.Dict, key: str) -> cst.DictElement | None:
    # The last occurrence wins, as it does when Python evaluates the literal.
    found = None
    for element in container.elements:
        if isinstance(element, cst.StarredDictElement):
            raise OptionsNotEditable("options unpacks another dict (**)")
        if _key_of(element) == key:
            found = element
    return found if isinstance(found, cst.DictElement) else None


def _walk(options: cst.Dict) -> tuple[list[cst.Dict], cst.List | None]:
    """The dicts along triggers.bigcommerce and the webhooks list, if present."""
    dicts = [options]
    for depth, key in enumerate(_KEY_PATH):
        element = _find(dicts[-1], key)
        if element is None:
            return dicts, None
        dotted = ".".join(_KEY_PATH[: depth + 1])
        if depth == len(_KEY_PATH) - 1:
            if not isinstance(element.value, cst.List):
                raise OptionsNotEditable(f"options {dotted} is not a list literal")
            return dicts, element.value
        if not isinstance(element.value, cst.Dict):
            raise OptionsNotEditable(f"options {dotted} is not a dict literal")
        dicts.append(element.value)
    return dicts, None


def _strings(webhooks: cst.List) -> list[str]:
    triggers = []
    for element in webhooks.elements:
        value = element.value
        text = value.evaluated_value if isinstance(value, cst.SimpleString) else None
        if not isinstance(text, str):
            raise OptionsNotEditable(
                "the webhooks list holds something other than plain strings"
            )
        triggers.append(text)
    return triggers


def read_triggers(path: Path) -> list[str]:
    """The scopes in the file's options literal, in file order.

    Raises OptionsNotEditable when the file's options cannot be rewritten,
    with the reason; an options literal without triggers gives [].
    """
    _dicts, webhooks = _walk(_options_dict(_parse(path)))
    return [] if webhooks is None else _strings(webhooks)


def rewrite_triggers(path: Path, triggers: list[str]) -> None:
    """Replace the file's triggers.bigcommerce.webhooks list with triggers.

    Missing keys along that path are added to the literal. The file is
    replaced atomically; raises OptionsNotEditable (and leaves the file as it
    was) when the options cannot be rewritten.
    """
    module = _parse(path)
    dicts, webhooks = _walk(_options_dict(module))
    updated: cst.CSTNode
    if webhooks is not None:
        old_triggers = _strings(webhooks)
        if old_triggers == triggers:
            return
        updated = module.deep_replace(webhooks, _rebuilt_list(webhooks, triggers))
    elif not triggers:
        return
    else:
        updated = _with_missing_keys(module, dicts, triggers)
    assert isinstance(updated, cst.Module)
    _write_atomically(path, updated.bytes)
    log.info("Rewrote the triggers of %s: %s", path, ", ".join(triggers) or "none")


def _quote_of(webhooks: cst.List) -> str:
    for element in webhooks.elements:
        if isinstance(element.value, cst.SimpleString):
            return element.value.quote
    return '"'


def _string(text: str, quote: str) -> cst.SimpleString:
    if quote in text or "\\" in text:
        return cst.SimpleString(repr(text))
    return cst.SimpleString(f"{quote}{text}{quote}")


def _separator(webhooks: cst.List) -> cst.Comma:
    """The comma and spacing between elements, copied from the list itself."""
    for element in webhooks.elements[:-1]:
        if isinstance(element.comma, cst.Comma):
            after = element.comma.whitespace_after
            if isinstance(after, cst.ParenthesizedWhitespace):
                # Not the element's own trailing comment, only the line break.
                after = _line_break(after.last_line)
            return element.comma.with_changes(whitespace_after=after)
    opening = webhooks.lbracket.whitespace_after
    if isinstance(opening, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=_line_break(opening.last_line))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _line_break(indent: cst.SimpleWhitespace) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(indent=True, last_line=indent)


def _rebuilt_list(webhooks: cst.List, triggers: list[str]) -> cst.List:
    """The list with triggers as its elements, kept elements untouched."""
    if not triggers:
        return webhooks.with_changes(
            elements=[],
            lbracket=cst.LeftSquareBracket(),
            rbracket=cst.RightSquareBracket(),
        )
    old = list(webhooks.elements)
    existing: dict[str | bytes, tuple[int, cst.BaseElement]] = {}
    element: cst.BaseElement
    for position, element in enumerate(old):
        if isinstance(element.value, cst.SimpleString):
            existing.setdefault(element.value.evaluated_value, (position, element))
    separator = _separator(webhooks)
    quote = _quote_of(webhooks)
    trailing = old[-1].comma if old else cst.MaybeSentinel.DEFAULT
    rbracket = webhooks.rbracket

    elements: list[cst.BaseElement] = []
    for index, trigger in enumerate(triggers):
        found = existing.get(trigger)
        if found is None:
            element = cst.Element(_string(trigger, quote))
            was_last = False
        else:
            element = found[1]
            was_last = found[0] == len(old) - 1
        last = index == len(triggers) - 1
        if not last and was_last:
            comma, closing = _moved_comment(separator, rbracket.whitespace_before)
            element = element.with_changes(comma=comma)
            rbracket = rbracket.with_changes(whitespace_before=closing)
        elif not last and element.comma is cst.MaybeSentinel.DEFAULT:
            element = element.with_changes(comma=separator)
        elif last and not was_last:
            element, rbracket = _as_last(element, trailing, rbracket)
        elements.append(element)
    return webhooks.with_changes(elements=elements, rbracket=rbracket)


def _moved_comment(
    separator: cst.Comma, closing: cst.BaseParenthesizableWhitespace
) -> tuple[cst.Comma, cst.BaseParenthesizableWhitespace]:
    """Move the last element's comment off the closing bracket onto its comma.

    The comment after a container's last element belongs to the closing
    bracket's whitespace; once another element follows, it must stay with the
    element it was written next to.
    """
    after = separator.whitespace_after
    if (
        isinstance(closing, cst.ParenthesizedWhitespace)
        and closing.first_line.comment is not None
        and isinstance(after, cst.ParenthesizedWhitespace)
    ):
        separator = separator.with_changes(
            whitespace_after=after.with_changes(first_line=closing.first_line)
        )
        closing = closing.with_changes(first_line=cst.TrailingWhitespace())
    return separator, closing


def _as_last(
    element: cst.BaseElement,
    trailing: cst.Comma | cst.MaybeSentinel,
    rbracket: cst.RightSquareBracket,
) -> tuple[cst.BaseElement, cst.RightSquareBracket]:
    """Make element the list's last one, keeping its trailing comment."""
    comma = element.comma
    after = comma.whitespace_after if isinstance(comma, cst.Comma) else None
    closing = rbracket.whitespace_before
    if (
        isinstance(after, cst.ParenthesizedWhitespace)
        and after.first_line.comment is not None
        and isinstance(closing, cst.ParenthesizedWhitespace)
    ):
        rbracket = rbracket.with_changes(
            whitespace_before=closing.with_changes(first_line=after.first_line)
        )
    if isinstance(trailing, cst.Comma):
        trailing = trailing.with_changes(whitespace_after=cst.SimpleWhitespace(""))
    return element.with_changes(comma=trailing), rbracket


def _with_missing_keys(
    module: cst.Module, dicts: list[cst.Dict], triggers: list[str]
) -> cst.CSTNode:
    """Add the missing keys of triggers.bigcommerce.webhooks to the deepest dict."""
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    elements = [cst.Element(_string(t, '"'), comma=comma) for t in triggers]
    elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    value: cst.BaseExpression = cst.List(elements)
    for key in reversed(_KEY_PATH[len(dicts) :]):
        value = cst.Dict([cst.DictElement(cst.SimpleString(f'"{key}"'), value)])
    deepest = dicts[-1]
    new_key = _KEY_PATH[len(dicts) - 1]
    element = cst.DictElement(cst.SimpleString(f'"{new_key}"'), value)
    return module.deep_replace(deepest, _appended(deepest, element))


def _appended(container: cst.Dict, element: cst.DictElement) -> cst.Dict:
    old = list(container.elements)
    if not old:
        return container.with_changes(elements=[element])
    last = old[-1]
    opening = container.lbrace.whitespace_after
    spacing: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace(" ")
    if isinstance(opening, cst.ParenthesizedWhitespace):
        spacing = _line_break(opening.last_line)
    if isinstance(last.comma, cst.Comma):
        # Keep the trailing-comma style: the new element gets one too.
        element = element.with_changes(comma=last.comma)
        separator = last.comma.with_changes(whitespace_after=spacing)
    else:
        separator = cst.Comma(whitespace_after=spacing)
    separator, closing = _moved_comment(separator, container.rbrace.whitespace_before)
    old[-1] = last.with_changes(comma=separator)
    return container.with_changes(
        elements=[*old, element],
        rbrace=container.rbrace.with_changes(whitespace_before=closing),
    )


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace path with data so that readers see the old or the new file, whole."""
    mode = path.stat().st_mode
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
