"""Coordinator workflow: acknowledge, assign, comment, close, reopen — optimistic concurrency, audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.responses import Response

from msa.domain import JsonDict
from services.api.deps import Caller, State
from services.api.principal import Principal
from services.api.problems import PROBLEM_RESPONSES, Problem
from services.api.render import JsonResponseFast
from services.api.schemas import AcceptedAction, AcknowledgeIn, ActionIn, AssignIn, CloseIn, CommentIn, ReopenIn
from services.api.workflow import Action, required_permission
from services.api.workflow_store import apply_action

__all__ = ["router"]

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    409: {"description": "the alert's workflow state does not allow this action (someone was first)",
          "content": _PROBLEM},
    412: {"description": "If-Match / expected_version is not the current workflow version", "content": _PROBLEM},
}

router = APIRouter(prefix="/alerts", tags=["workflow"], responses=_RESPONSES)

AlertId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-:.]+$")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description='workflow version from the ETag, e.g. "3"',
                                       max_length=64)]


def _expected(if_match: str | None, body: ActionIn) -> int | None:
    if if_match is not None and if_match.strip() != "*":
        tag = if_match.strip().removeprefix("W/").strip('"')
        if not tag.isdigit() or len(tag) > 9:
            raise Problem(412, "precondition-failed", "If-Match is not a workflow version of this alert")
        return int(tag)
    return body.expected_version


async def _run(state: State, caller: Principal, alert_id: str, action: Action, expected: int | None,
               detail: JsonDict, assignee: str | None = None) -> Response:
    perm = required_permission(action, caller, assignee)
    if not caller.can(perm):
        raise Problem(403, "forbidden", f"role {caller.role} may not {perm}")
    async with state.engine.begin() as conn:
        out = await apply_action(conn, caller, alert_id, action, expected, detail)
    if out.status == "missing":
        raise Problem(404, "not-found", "no such alert")
    if out.status == "stale":
        raise Problem(412, "precondition-failed", "the alert changed: reload it and retry",
                      headers={"ETag": f'"{out.version}"'}, current_version=out.version)
    if out.status == "conflict":
        raise Problem(409, "conflict", f"cannot {action} an alert in state {out.state}",
                      headers={"ETag": f'"{out.version}"'}, current_version=out.version, state=out.state)
    body = AcceptedAction(alert_id=alert_id, action=str(action), state=out.state,
                          version=out.version)
    return JsonResponseFast(body.model_dump(), headers={"ETag": f'"{out.version}"'})


@router.post("/{alert_id}/acknowledge", response_model=AcceptedAction, summary="Acknowledge (one winner)")
async def acknowledge(alert_id: AlertId, caller: Caller, state: State, if_match: IfMatch = None,
                      body: AcknowledgeIn | None = None) -> Response:
    b = body or AcknowledgeIn()
    return await _run(state, caller, alert_id, Action.ACKNOWLEDGE, _expected(if_match, b), {})


@router.post("/{alert_id}/assign", response_model=AcceptedAction, summary="Assign to an officer")
async def assign(alert_id: AlertId, body: AssignIn, caller: Caller, state: State,
                 if_match: IfMatch = None) -> Response:
    return await _run(state, caller, alert_id, Action.ASSIGN, _expected(if_match, body),
                      {"assignee": body.assignee}, assignee=body.assignee)


@router.post("/{alert_id}/comments", response_model=AcceptedAction, summary="Add a comment (officer-only)")
async def comment(alert_id: AlertId, body: CommentIn, caller: Caller, state: State,
                  if_match: IfMatch = None) -> Response:
    return await _run(state, caller, alert_id, Action.COMMENT, _expected(if_match, body), {"text": body.text})


@router.post("/{alert_id}/close", response_model=AcceptedAction, summary="Close as actioned or false positive")
async def close(alert_id: AlertId, body: CloseIn, caller: Caller, state: State,
                if_match: IfMatch = None) -> Response:
    detail: JsonDict = {"reason": body.reason}
    if body.note:
        detail["note"] = body.note
    return await _run(state, caller, alert_id, Action.CLOSE, _expected(if_match, body), detail)


@router.post("/{alert_id}/reopen", response_model=AcceptedAction, summary="Reopen a closed alert (supervisor)")
async def reopen(alert_id: AlertId, caller: Caller, state: State, if_match: IfMatch = None,
                 body: ReopenIn | None = None) -> Response:
    b = body or ReopenIn()
    detail: JsonDict = {"note": b.note} if b.note else {}
    return await _run(state, caller, alert_id, Action.REOPEN, _expected(if_match, b), detail)
