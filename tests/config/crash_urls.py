from django.urls import include, path


def crash(request):
    raise RuntimeError("boom")


urlpatterns = [path("api/crash", crash), path("", include("config.urls"))]
