from django.apps import AppConfig


class BenchmarkingConfig(AppConfig):
    name = "spiral.benchmarking"
    label = "benchmarking"
    verbose_name = "Benchmarking (funnel plots, gap to potential)"

    def ready(self) -> None:
        from spiral.benchmarking.queries import warm_after_import
        from spiral.benchmarking.views import indicator_positions, peer_cells
        from spiral.measurement.extensions import (
            register_after_import,
            register_indicator_positions,
            register_peer_comparison,
        )

        # The unit's measures page gains a "compared with peers" column for indicators.
        register_peer_comparison(peer_cells)
        # The indicator page (one indicator across every unit) gains each unit's funnel position.
        register_indicator_positions(indicator_positions)
        # An import computes its indicators' default funnel plots, so that no first reader waits (issue 14).
        register_after_import(warm_after_import)
