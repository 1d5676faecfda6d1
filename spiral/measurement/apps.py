from django.apps import AppConfig


class MeasurementConfig(AppConfig):
    name = "spiral.measurement"
    label = "measurement"
    verbose_name = "Measures, series and observations"
