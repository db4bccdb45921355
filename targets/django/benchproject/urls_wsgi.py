"""URLs of the django-wsgi target (gunicorn): the same endpoints with sync views."""

from django.urls import path

from world import views_sync as views

urlpatterns = [
    path("health", views.health),
    path("json", views.json),
    path("db", views.db),
    path("queries", views.queries),
    path("fortunes", views.fortunes),
    path("updates", views.updates),
]
