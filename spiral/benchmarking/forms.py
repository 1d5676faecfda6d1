"""The choices of a benchmarking page (a GET form): peer group, period, method, chosen unit."""

from __future__ import annotations

from django import forms

from spiral.benchmarking import funnel as fm
from spiral.benchmarking.queries import BEST_LABELS
from spiral.organisations.models import OrganisationType, UnitKind

METHOD_CHOICES = [
    ("auto", "Automatic: allow for overdispersion (τ²) when the χ² test finds it"),
    ("none", "None: exact limits"),
    ("phi", "Multiplicative (φ)"),
    ("tau2", "Additive random effects (τ²)"),
]
ANY_TYPE = "any"  # widen the peers to organisations of every type
PEER_KINDS = [(k, label) for k, label in UnitKind.choices if k not in ("nation",)]


class FunnelForm(forms.Form):
    within = forms.CharField(
        label="Peer group beneath", required=False, max_length=32,
        help_text="The code of a region, ICB or the nation, for example Y56; empty for the whole country",
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
    unit = forms.CharField(
        label="Highlight unit", required=False, max_length=32, help_text="A unit code, for example RJ1"
    )
    best = forms.ChoiceField(
        label="Potential", choices=list(BEST_LABELS.items()), initial="quartile", required=False
    )


def with_defaults(form: FunnelForm) -> dict[str, str]:
    """The choices made, each invalid or missing one replaced by its default (errors stay on the form)."""
    choices = {name: (f.initial or "") for name, f in form.fields.items()}
    if form.is_bound:
        form.is_valid()
        choices.update({k: v for k, v in form.cleaned_data.items() if v not in (None, "")})
    return choices
