"""The fixed demo sign-ins (password `demo`, demo mode only)."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    job_title: str
    description: str
    role: str
    where: str  # which demo unit the role is held on: nation, region, icb, organisation, team


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("team@example.com", "Tia Okafor", "Staff nurse", "team member", "member", "team"),
    DemoAccount(
        "patient@example.com", "Pat Hughes", "Patient partner", "patient partner", "patient_partner", "team"
    ),
    DemoAccount(
        "coach@example.com", "Chris Nowak", "Improvement coach", "improvement coach", "coach", "organisation"
    ),
    DemoAccount(
        "lead@example.com",
        "Leah Murray",
        "Head of quality improvement",
        "improvement lead of an organisation",
        "improvement_lead",
        "organisation",
    ),
    DemoAccount(
        "board@example.com",
        "Ben Adeyemi",
        "Chief nurse",
        "leader of that organisation",
        "leader",
        "organisation",
    ),
    DemoAccount(
        "region@example.com",
        "Rhian Patel",
        "Regional director of improvement",
        "leader of a region",
        "leader",
        "region",
    ),
    DemoAccount(
        "national@example.com",
        "Nadia Kowalski",
        "Senior analyst",
        "analyst at the nation",
        "analyst",
        "nation",
    ),
    DemoAccount(
        "admin@example.com", "Adam Fletcher", "System administrator", "administrator", "admin", "nation"
    ),
)
