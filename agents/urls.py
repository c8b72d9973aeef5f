from django.urls import path

from agents import views

urlpatterns = [
    path("", views.home, name="home"),
    path("apps/", views.apps, name="apps"),
    path("apps/<uuid:agent_id>/", views.workspace, name="workspace"),
]
