from __future__ import annotations

import pytest

from services.api.principal import ROLE_PERMISSIONS, Permission, Role
from services.api.workflow import Action, WorkflowState, plan, required_permission
from tests.unit.api.builders import principal


@pytest.mark.parametrize(("action", "state", "expected"), [
    (Action.ACKNOWLEDGE, "new", WorkflowState.ACKNOWLEDGED),
    (Action.ACKNOWLEDGE, "acknowledged", None),
    (Action.CLOSE, "new", WorkflowState.CLOSED),
    (Action.CLOSE, "acknowledged", WorkflowState.CLOSED),
    (Action.CLOSE, "closed", None),
    (Action.ASSIGN, "acknowledged", WorkflowState.ACKNOWLEDGED),
    (Action.ASSIGN, "closed", None),
    (Action.COMMENT, "closed", WorkflowState.CLOSED),
    (Action.REOPEN, "closed", WorkflowState.ACKNOWLEDGED),
    (Action.REOPEN, "new", None),
    (Action.ACKNOWLEDGE, "bogus", None),
])
def test_transitions(action: Action, state: str, expected: WorkflowState | None) -> None:
    assert plan(action, state) == expected


def test_assigning_someone_else_needs_a_supervisor() -> None:
    officer = principal(Role.OFFICER, name="alice")
    assert required_permission(Action.ASSIGN, officer, "alice") is Permission.ASSIGN_SELF
    assert required_permission(Action.ASSIGN, officer, "bob") is Permission.ASSIGN_ANY
    assert not officer.can(Permission.ASSIGN_ANY)
    assert principal(Role.SUPERVISOR).can(Permission.ASSIGN_ANY)


def test_partners_and_testers_cannot_change_anything() -> None:
    writes = {Permission.ACKNOWLEDGE, Permission.COMMENT, Permission.CLOSE, Permission.ASSIGN_SELF,
              Permission.ASSIGN_ANY, Permission.REOPEN, Permission.ADMIN}
    assert not (ROLE_PERMISSIONS[Role.PARTNER] & writes)
    assert not (ROLE_PERMISSIONS[Role.TESTER] & writes)
    assert ROLE_PERMISSIONS[Role.PARTNER] == {Permission.READ_ALERTS}
