"""URLs of the django target (ASGI): async views."""

from django.urls import path

from world import views

urlpatterns = [
    path("health", views.health),
    path("json", views.json),
    path("db", views.db),
    path("queries", views.queries),
    path("fortunes", views.fortunes),
    path("updates", views.updates),
]
