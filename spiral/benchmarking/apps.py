from django.apps import AppConfig


class BenchmarkingConfig(AppConfig):
    name = "spiral.benchmarking"
    label = "benchmarking"
    verbose_name = "Benchmarking (funnel plots, gap to potential)"
