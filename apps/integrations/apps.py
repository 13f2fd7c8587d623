from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "GitHub integration"

    def ready(self) -> None:
        import atexit

        from apps.integrations import (
            checks,  # noqa: F401  (registers the system checks)
            receivers,  # noqa: F401  (connects to the metrics core's signals)
        )
        from apps.integrations.services.queueing import queueing_start, queueing_stop

        queueing_start()  # with a broker: the thread that wakes workers for stored deliveries
        atexit.register(queueing_stop)
