"""The choices of a benchmarking page (a GET form): peer group, period, method, chosen unit."""

from __future__ import annotations

from typing import Any

from django import forms

from spiral.benchmarking import funnel as fm
from spiral.benchmarking.queries import BEST_LABELS
from spiral.core.types import AnyUser
from spiral.organisations import choices
from spiral.organisations.choices import CodeChoiceField
from spiral.organisations.models import OrganisationType, Unit, UnitKind

METHOD_CHOICES = [
    ("auto", "Automatic: allow for overdispersion (τ²) when the χ² test finds it"),
    ("none", "None: exact limits"),
    ("phi", "Multiplicative (φ)"),
    ("tau2", "Additive random effects (τ²)"),
]
ANY_TYPE = "any"  # widen the peers to organisations of every type
GROUP_KINDS = (UnitKind.NATION, UnitKind.REGION, UnitKind.ICB)  # what a peer group is "beneath"
PEER_KINDS = [(k, label) for k, label in UnitKind.choices if k not in ("nation",)]


class FunnelForm(forms.Form):
    within = CodeChoiceField(
        label="Peer group beneath", required=False,
        help_text="A region or integrated care board (yours first): start typing its name",
    )  # fmt: skip
    kind = forms.ChoiceField(
        label="Compare units of kind", choices=PEER_KINDS, initial="organisation", required=False
    )
    organisation_type = forms.ChoiceField(
        label="Organisation type",
        required=False,
        choices=[("", "Like for like: the highlighted unit's type"), (ANY_TYPE, "Any type"),
                 *OrganisationType.choices],
        help_text="Peers are organisations of the highlighted unit's own type unless you widen them",
    )  # fmt: skip
    period = forms.CharField(
        label="Period", required=False, max_length=20, help_text="For example 2025-03; empty for the latest"
    )
    method = forms.ChoiceField(
        label="Overdispersion", choices=METHOD_CHOICES, initial=fm.DEFAULT_METHOD, required=False
    )
    unit = CodeChoiceField(
        label="Highlight unit", required=False, help_text="Your own units first: start typing a name"
    )
    best = forms.ChoiceField(
        label="Potential", choices=list(BEST_LABELS.items()), initial="quartile", required=False
    )

    def __init__(self, *args: Any, user: AnyUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        within: CodeChoiceField = self.fields["within"]  # type: ignore[assignment]
        own = choices.own_unit_ids(user)
        groups = Unit.objects.filter(kind__in=GROUP_KINDS)
        offered = choices.offer_units(groups, user, selected=str(self["within"].value() or ""), own=own)
        within.choices = [("", "The whole country"), *offered.choices]
        unit: CodeChoiceField = self.fields["unit"]  # type: ignore[assignment]
        kind = str(self["kind"].value() or "organisation")
        peers = Unit.objects.filter(kind=kind if kind in dict(PEER_KINDS) else "organisation")
        offered = choices.offer_units(peers, user, selected=str(self["unit"].value() or ""), own=own)
        unit.choices = [("", "None"), *offered.choices]


def with_defaults(form: FunnelForm) -> dict[str, str]:
    """The choices made, each invalid or missing one replaced by its default (errors stay on the form)."""
    choices = {name: (f.initial or "") for name, f in form.fields.items()}
    if form.is_bound:
        form.is_valid()
        choices.update({k: v for k, v in form.cleaned_data.items() if v not in (None, "")})
    return choices
