# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The requests webhook sync makes: reading, writing and checking a store's hooks.

Each write updates the pass's picture of the hooks (PassState) from
BigCommerce's answer, and remembers which secret it put on each hook.
"""

import dataclasses
import logging
import urllib.parse
from typing import Any

from app.bigcommerce import errors
from app.bigcommerce.client import BigCommerceClient
from app.bigcommerce.errors import BigCommerceError, ValidationFailed
from app.config import SECRET_HEADER
from app.stores import hook_plan
from app.stores.hook_plan import Step

log = logging.getLogger(__name__)


@dataclasses.dataclass
class PassState:
    """The running state of one sync pass over one store."""

    hooks: list[dict[str, Any]]
    errors: list[str] = dataclasses.field(default_factory=list)
    created: list[str] = dataclasses.field(default_factory=list)
    reactivated: list[str] = dataclasses.field(default_factory=list)
    deleted: list[str] = dataclasses.field(default_factory=list)
    first_problem: str = ""
    fatal: BigCommerceError | None = None
    # The secret each hook was written with in this pass, by hook id.
    sent: dict[Any, str] = dataclasses.field(default_factory=dict)

    def fail(self, scope: str, exc: BigCommerceError) -> None:
        # 4xx texts are BigCommerce's own words; the rest a short phrase.
        text = str(exc) if isinstance(exc, ValidationFailed) else exc.summary
        self.errors.append(f"{scope}: {text}")
        self.first_problem = self.first_problem or text


def carries(hook: dict[str, Any], secret: str, sent: dict[Any, str]) -> bool:
    """Whether the hook is known to carry secret (its listed header, or our write)."""
    shown, value = hook_plan.secret_header(hook)
    if shown:
        return value == secret
    # BigCommerce did not list headers: only our own write in this pass counts.
    return sent.get(hook.get("id")) == secret


async def own_hooks(
    client: BigCommerceClient, destination: str
) -> list[dict[str, Any]]:
    """Storehook's hooks on the store, every page of GET /v3/hooks."""
    hooks = [hook async for hook in client.iterate_v3("/hooks")]
    return [
        h for h in hooks if isinstance(h, dict) and hook_plan.is_ours(h, destination)
    ]


async def do_step(
    client: BigCommerceClient,
    state: PassState,
    step: Step,
    destination: str,
    secret: str,
) -> None:
    """Send one step's request and apply its answer to state."""
    if step.kind == "create":
        body = {
            "scope": step.scope,
            "destination": destination,
            "is_active": True,
            "headers": {SECRET_HEADER: secret},
        }
        answer = await client.v3.post("/hooks", body=body)
        hook = (answer or {}).get("data") or {**body, "id": None}
        state.hooks.append(hook)
        state.sent[hook.get("id")] = secret
        state.created.append(step.scope)
    elif step.kind in ("activate", "reheader", "move"):
        await _update(client, state, step, destination, secret)
    else:
        await client.v3.delete("/hooks/{webhook_id}", path={"webhook_id": step.hook_id})
        state.hooks = [h for h in state.hooks if h.get("id") != step.hook_id]
        state.deleted.append(step.scope)


async def _update(
    client: BigCommerceClient,
    state: PassState,
    step: Step,
    destination: str,
    secret: str,
) -> None:
    hook = next((h for h in state.hooks if h.get("id") == step.hook_id), {})
    body: dict[str, Any] = {
        "is_active": True,
        "headers": hook_plan.headers_with(hook, secret),
    }
    if step.kind == "move":
        body["destination"] = destination
    answer = await client.v3.put(
        "/hooks/{webhook_id}", path={"webhook_id": step.hook_id}, body=body
    )
    updated = (answer or {}).get("data") or body
    for known in state.hooks:
        if known.get("id") == step.hook_id:
            known.update(updated)
    state.sent[step.hook_id] = secret
    if step.kind == "activate":
        state.reactivated.append(step.scope)
    elif step.kind == "move":
        log.info("Moved hook %s (%s) to %s", step.hook_id, step.scope, destination)


async def admin_report(
    client: BigCommerceClient, destination: str
) -> tuple[dict[str, Any], str]:
    """What /hooks/admin says, and a loud warning when our domain is blocked."""
    try:
        answer = await client.v3.get("/hooks/admin")
    except errors.BigCommerceError as exc:
        log.info("Store %s: /hooks/admin unavailable: %s", client.store_hash, exc)
        return {"error": exc.summary}, ""
    data = (answer or {}).get("data") or {}
    blocked = [b for b in data.get("blocked_domains") or [] if isinstance(b, dict)]
    deactivated = [
        hook_plan.public(h)
        for h in data.get("hooks_list") or []
        if isinstance(h, dict)
        and hook_plan.is_ours(h, destination)
        and (h.get("status") == "deactivated" or h.get("is_active") is False)
    ]
    report = {"blocked_domains": blocked, "deactivated_hooks": deactivated}
    ours = urllib.parse.urlsplit(destination).hostname or destination
    for entry in blocked:
        domain = str(entry.get("destination", ""))
        if ours and ours in domain:
            warning = (
                f"BigCommerce is blocking {domain} for {entry.get('time_left', '?')} s "
                "after failed deliveries"
            )
            log.warning("Store %s: %s", client.store_hash, warning)
            return report, warning
    return report, ""
