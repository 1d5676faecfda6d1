from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "spiral.organisations"
    label = "organisations"
    verbose_name = "Units, people and roles"
