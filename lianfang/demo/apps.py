"""The demo scenario app: no models, no pages; ``manage.py demo_scenario`` fills the other apps."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lianfang.demo"
    label = "demo"
    verbose_name = "Demo scenario"
