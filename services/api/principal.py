"""Who is calling and what they may do: roles, permissions, zone scope. Pure (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ALL_ZONES", "ROLE_PERMISSIONS", "Permission", "Principal", "Role"]

ALL_ZONES = "*"


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    PARTNER = "partner"
    TESTER = "tester"
    ADMIN = "admin"


class Permission(StrEnum):
    READ_ALERTS = "read_alerts"  # list/get/stream alerts (partner view for partners)
    OFFICER_VIEW = "officer_view"  # see officer-only fields: comments, assignee, workflow
    READ_VESSELS = "read_vessels"
    READ_TRACKS = "read_tracks"
    READ_AUDIT = "read_audit"
    EXPORT = "export"
    ACKNOWLEDGE = "acknowledge"
    COMMENT = "comment"
    ASSIGN_SELF = "assign_self"
    ASSIGN_ANY = "assign_any"
    CLOSE = "close"
    REOPEN = "reopen"
    ADMIN = "admin"  # partner subscriptions, API keys


_READ = frozenset({Permission.READ_ALERTS, Permission.OFFICER_VIEW, Permission.READ_VESSELS,
                   Permission.READ_TRACKS, Permission.READ_AUDIT, Permission.EXPORT})
_OFFICER = _READ | {Permission.ACKNOWLEDGE, Permission.COMMENT, Permission.ASSIGN_SELF, Permission.CLOSE}
_SUPERVISOR = _OFFICER | {Permission.ASSIGN_ANY, Permission.REOPEN}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PARTNER: frozenset({Permission.READ_ALERTS}),
    Role.TESTER: _READ,
    Role.OFFICER: frozenset(_OFFICER),
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. ``zones`` empty means nothing; containing ``*`` means every zone."""

    name: str
    role: Role
    zones: frozenset[str]
    kind: str = "token"  # "token" or "apikey"
    expires_at_s: float | None = None  # epoch seconds the credential stops being valid (token exp, key expiry)
    key_prefix: str | None = None  # an API key's prefix: the live feed re-checks it is not revoked
    token_id: str | None = None  # a bearer token's ``jti``: refused once listed as revoked

    def can(self, perm: Permission) -> bool:
        return perm in ROLE_PERMISSIONS[self.role]

    @property
    def all_zones(self) -> bool:
        return ALL_ZONES in self.zones

    def sees_zone(self, zone: str) -> bool:
        return self.all_zones or zone in self.zones

    @property
    def officer_view(self) -> bool:
        return self.can(Permission.OFFICER_VIEW)
