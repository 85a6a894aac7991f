from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    name = "platforms"
    verbose_name = "Platforms"

    def ready(self) -> None:
        from platforms import oauth

        oauth.configure_endpoints()
