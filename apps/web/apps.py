from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "apps.web"
    label = "web"
    verbose_name = "Web pages"

    def ready(self) -> None:
        from django.urls import register_converter

        from apps.web.routing import IdConverter

        register_converter(IdConverter, "id")
