from __future__ import annotations

from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "spiral.organisations"
    label = "organisations"
    verbose_name = "Units, people and roles"

    def ready(self) -> None:
        from spiral.core.models import AuditEvent, Job, Notification
        from spiral.organisations.models import ApiToken, Membership, Unit, User
        from spiral.organisations.permissions import Permission, register_visibility

        # Who sees what (docs/permissions.md): units, people and their roles are open for learning;
        # a token is its owner's alone.
        for model in (Unit, User, Membership):
            register_visibility(model, "open")
        register_visibility(ApiToken, "own", owner="user")
        # Background work (spiral.core.jobs) is followed by the person who started it.
        register_visibility(Job, "own", owner="started_by")
        # A notification (spiral.core.notifications) is its recipient's alone.
        register_visibility(Notification, "own", owner="recipient")
        # core cannot import this module (it sits beneath it), so its audit history is registered here:
        # the changes within the trees where the user may view the audit.
        register_visibility(AuditEvent, "unit", permission=Permission.VIEW_AUDIT, path="scope_path")
