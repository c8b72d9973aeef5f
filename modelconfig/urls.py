from django.urls import path

from modelconfig import apis

urlpatterns = [
    path("model-configs", apis.ModelConfigListApi.as_view(), name="model-config-list"),
    # Before <action>: "reset" and "test" are not actions.
    path("model-configs/reset", apis.ModelConfigResetApi.as_view(), name="model-config-reset"),
    path("model-configs/test", apis.ModelConfigTestApi.as_view(), name="model-config-test"),
    path("model-configs/<str:action>", apis.ModelConfigDetailApi.as_view(), name="model-config-detail"),
    path("providers", apis.ProviderListApi.as_view(), name="provider-list"),
    path("providers/<int:credential_id>", apis.ProviderDetailApi.as_view(), name="provider-detail"),
    path("providers/<int:credential_id>/verify", apis.ProviderVerifyApi.as_view(), name="provider-verify"),
]
