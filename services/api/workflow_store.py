"""Applying a workflow action in one transaction: compare-and-set on the workflow version, audit, feed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from msa.contracts.codec import dumps
from msa.domain import JsonDict
from services.api.principal import Principal
from services.api.queries import scope_clause
from services.api.sinkstore import append_feed
from services.api.tables import alerts
from services.api.workflow import Action, plan

__all__ = ["WorkflowOutcome", "apply_action"]


@dataclass(frozen=True, slots=True)
class WorkflowOutcome:
    """``status``: ok, missing (or out of scope), stale (If-Match failed), conflict (state forbids it)."""

    status: str
    version: int = 0
    state: str = ""


_CAS = text("""
UPDATE alerts SET workflow_state = :to_state, row_version = row_version + 1,
    assignee = CASE WHEN :set_assignee THEN :assignee ELSE assignee END,
    closed_reason = CASE WHEN :set_reason THEN :reason ELSE closed_reason END
WHERE alert_id = :alert_id AND row_version = :expected AND workflow_state = :from_state
RETURNING row_version, version
""")


async def apply_action(conn: AsyncConnection, principal: Principal, alert_id: str, action: Action,
                       expected_version: int | None, detail: JsonDict) -> WorkflowOutcome:
    """Compare-and-set: of two concurrent actions on the same version exactly one updates the row."""
    cur = (await conn.execute(select(alerts.c.workflow_state, alerts.c.row_version)
                              .where(alerts.c.alert_id == alert_id, scope_clause(principal)))).first()
    if cur is None:
        return WorkflowOutcome("missing")
    if expected_version is not None and expected_version != cur.row_version:
        return WorkflowOutcome("stale", cur.row_version, cur.workflow_state)
    to_state = plan(action, cur.workflow_state)
    if to_state is None:
        return WorkflowOutcome("conflict", cur.row_version, cur.workflow_state)
    params = {"to_state": str(to_state), "alert_id": alert_id, "from_state": cur.workflow_state,
              "expected": cur.row_version, "set_assignee": action is Action.ASSIGN,
              "assignee": detail.get("assignee"), "set_reason": action is Action.CLOSE,
              "reason": detail.get("reason")}
    if action is Action.REOPEN:
        params.update(set_reason=True, reason=None)
    row = (await conn.execute(_CAS, params)).first()
    if row is None:  # someone else won between our read and our write
        now = (await conn.execute(select(alerts.c.workflow_state, alerts.c.row_version)
                                  .where(alerts.c.alert_id == alert_id))).first()
        version = now.row_version if now is not None else 0
        state = now.workflow_state if now is not None else ""
        status = "stale" if expected_version is not None else "conflict"
        return WorkflowOutcome(status, version, state)
    audit = {"from": cur.workflow_state, "to": str(to_state), "workflow_version": row.row_version,
             "role": str(principal.role), **detail}
    await conn.execute(text("INSERT INTO alert_events (alert_id, actor, action, detail) "
                            "VALUES (:a, :actor, :action, CAST(:d AS jsonb))"),
                       {"a": alert_id, "actor": principal.name, "action": str(action), "d": dumps(audit).decode()})
    await append_feed(conn, alert_id, row.version, str(action))
    return WorkflowOutcome("ok", row.row_version, str(to_state))
