from django.urls import path

from modelconfig import views

urlpatterns = [
    path("", views.settings_page, name="modelconfig-settings"),
]
