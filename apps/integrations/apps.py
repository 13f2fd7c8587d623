from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "GitHub integration"

    def ready(self) -> None:
        import atexit

        from django.db.models.signals import post_migrate

        from apps.integrations import (
            checks,  # noqa: F401  (registers the system checks)
            receivers,  # connects to the metrics core's signals
        )
        from apps.integrations.services.queueing import queueing_stop

        post_migrate.connect(
            receivers.payload_partitions_after_migrate, sender=self, dispatch_uid="integrations.payload_partitions"
        )
        atexit.register(queueing_stop)
