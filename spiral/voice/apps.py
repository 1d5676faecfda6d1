from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "spiral.voice"
    label = "voice"
    verbose_name = "Voice of patients, carers and staff"
