"""Permissions and roles.

Permissions are an enumeration; each role lists the permissions it grants. Whether a user may
do something to a particular organisation's data is decided by `pbc.orgs.access.has_permission`,
which combines the role's permissions with the organisation the membership names (its scope).

| role              | scope                         | patient-level rows               |
| ----------------- | ----------------------------- | -------------------------------- |
| pct_analyst       | every locality of their PCT   | yes (audited)                    |
| locality_manager  | their locality                | no: aggregates only              |
| board_member      | their locality                | no: aggregates only              |
| practice_user     | their practice                | own practice only (audited)      |
| provider_user     | their own contracts' returns  | only what they submitted         |
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    # Seeing organisations' aggregate pages.
    VIEW_PCT = "view_pct"
    VIEW_LOCALITY = "view_locality"
    VIEW_PRACTICE = "view_practice"
    VIEW_PROVIDER = "view_provider"
    # Patient-level rows (always audited).
    VIEW_PATIENT_ROWS = "view_patient_rows"
    # Running the system.
    MANAGE_ORGANISATIONS = "manage_organisations"
    IMPORT_DATA = "import_data"
    VIEW_AUDIT_LOG = "view_audit_log"
    # Giving and taking away the roles of the PCT's users (`pbc.orgs.actions`).
    MANAGE_USERS = "manage_users"
    # Plans.
    MANAGE_PLANS = "manage_plans"
    UPDATE_MILESTONES = "update_milestones"
    # Money.
    MANAGE_BUDGETS = "manage_budgets"
    APPROVE_BUDGETS = "approve_budgets"
    # The board's approval of an agreement that lasts (a deficit repayment).
    APPROVE_AGREEMENTS = "approve_agreements"
    # Validation and challenges.
    REVIEW_FINDINGS = "review_findings"
    SIGN_OFF_CHALLENGES = "sign_off_challenges"
    RECORD_PROVIDER_RESPONSE = "record_provider_response"
    # Services.
    SUBMIT_PROVIDER_RETURNS = "submit_provider_returns"
    MANAGE_SERVICES = "manage_services"
    # Signing a practice up to (or withdrawing it from) an enhanced service.
    SIGN_UP_SERVICES = "sign_up_services"
    # Recording a practice's choice among a service's accredited any willing providers.
    CHOOSE_PROVIDERS = "choose_providers"


class Role(StrEnum):
    PCT_ANALYST = "pct_analyst"
    LOCALITY_MANAGER = "locality_manager"
    BOARD_MEMBER = "board_member"
    PRACTICE_USER = "practice_user"
    PROVIDER_USER = "provider_user"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.PCT_ANALYST: "PCT analyst",
    Role.LOCALITY_MANAGER: "Locality manager",
    Role.BOARD_MEMBER: "Board member",
    Role.PRACTICE_USER: "Practice user",
    Role.PROVIDER_USER: "Provider user",
}

P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PCT_ANALYST: frozenset(
        {
            P.VIEW_PCT,
            P.VIEW_LOCALITY,
            P.VIEW_PRACTICE,
            P.VIEW_PROVIDER,
            P.VIEW_PATIENT_ROWS,
            P.MANAGE_ORGANISATIONS,
            P.IMPORT_DATA,
            P.VIEW_AUDIT_LOG,
            P.MANAGE_USERS,
            P.MANAGE_PLANS,
            P.UPDATE_MILESTONES,
            P.MANAGE_BUDGETS,
            P.APPROVE_BUDGETS,
            P.REVIEW_FINDINGS,
            P.SIGN_OFF_CHALLENGES,
            P.RECORD_PROVIDER_RESPONSE,
            P.MANAGE_SERVICES,
            P.SIGN_UP_SERVICES,
            P.CHOOSE_PROVIDERS,
        }
    ),
    Role.LOCALITY_MANAGER: frozenset(
        {
            P.VIEW_LOCALITY,
            P.VIEW_PRACTICE,
            P.MANAGE_PLANS,
            P.UPDATE_MILESTONES,
            P.SIGN_OFF_CHALLENGES,
            P.CHOOSE_PROVIDERS,
        }
    ),
    Role.BOARD_MEMBER: frozenset({P.VIEW_LOCALITY, P.VIEW_PRACTICE, P.APPROVE_AGREEMENTS}),
    Role.PRACTICE_USER: frozenset(
        {
            P.VIEW_PRACTICE,
            P.VIEW_PATIENT_ROWS,
            P.UPDATE_MILESTONES,
            P.REVIEW_FINDINGS,
            P.SIGN_UP_SERVICES,
            P.CHOOSE_PROVIDERS,
        }
    ),
    Role.PROVIDER_USER: frozenset(
        {P.VIEW_PROVIDER, P.SUBMIT_PROVIDER_RETURNS, P.RECORD_PROVIDER_RESPONSE}
    ),
}
del P
