from django.urls import path

from world import views

urlpatterns = [
    path("health", views.health),
    path("json", views.json),
]
