from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "whatworks.evidence"
    label = "evidence"
