from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "GitHub integration"

    def ready(self) -> None:
        from apps.integrations import checks  # noqa: F401  (registers the system checks)
