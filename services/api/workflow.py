"""Coordinator workflow: states, allowed transitions, and which permission each action needs. Pure.

``new`` → acknowledge → ``acknowledged`` → close (actioned | false_positive) → ``closed``;
a supervisor may reopen a closed alert (→ ``acknowledged``). Assign and comment do not change the state
and are refused on a closed alert (comments stay allowed: the record can be completed after closing).
Every action bumps the alert's workflow version (its ETag) and appends one audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.api.principal import Permission, Principal

__all__ = ["TRANSITIONS", "Action", "CloseReason", "Transition", "WorkflowState", "plan", "required_permission"]


class WorkflowState(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    COMMENT = "comment"
    CLOSE = "close"
    REOPEN = "reopen"


class CloseReason(StrEnum):
    ACTIONED = "actioned"
    FALSE_POSITIVE = "false_positive"


@dataclass(frozen=True, slots=True)
class Transition:
    from_states: frozenset[WorkflowState]
    to_state: WorkflowState | None  # None: unchanged


_OPEN = frozenset({WorkflowState.NEW, WorkflowState.ACKNOWLEDGED})
_ALL = frozenset(WorkflowState)

TRANSITIONS: dict[Action, Transition] = {
    Action.ACKNOWLEDGE: Transition(frozenset({WorkflowState.NEW}), WorkflowState.ACKNOWLEDGED),
    Action.ASSIGN: Transition(_OPEN, None),
    Action.COMMENT: Transition(_ALL, None),
    Action.CLOSE: Transition(_OPEN, WorkflowState.CLOSED),
    Action.REOPEN: Transition(frozenset({WorkflowState.CLOSED}), WorkflowState.ACKNOWLEDGED),
}


def required_permission(action: Action, principal: Principal, assignee: str | None = None) -> Permission:
    if action is Action.ACKNOWLEDGE:
        return Permission.ACKNOWLEDGE
    if action is Action.COMMENT:
        return Permission.COMMENT
    if action is Action.CLOSE:
        return Permission.CLOSE
    if action is Action.REOPEN:
        return Permission.REOPEN
    return Permission.ASSIGN_SELF if assignee in (principal.name, None) else Permission.ASSIGN_ANY


def plan(action: Action, state: str) -> WorkflowState | None:
    """The state after ``action`` from ``state``; None when the action is not allowed there."""
    t = TRANSITIONS[action]
    try:
        current = WorkflowState(state)
    except ValueError:
        return None
    if current not in t.from_states:
        return None
    return t.to_state if t.to_state is not None else current
