"""Admin for overrides and provider keys. Keys are write-only here too: a hint is shown, never the key."""

from django import forms
from django.conf import settings
from django.contrib import admin

from modelconfig.models import ModelConfig, ProviderCredential
from modelconfig.validation import UnsafeURL, validate_base_url


class ProviderCredentialForm(forms.ModelForm):
    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave empty to keep the current key.",
    )
    clear_key = forms.BooleanField(label="Remove the stored key", required=False)

    class Meta:
        model = ProviderCredential
        fields = ["user", "provider", "name", "base_url", "last_error"]

    def clean_base_url(self):
        base_url = self.cleaned_data["base_url"].strip()
        if not base_url:
            return ""
        try:
            return validate_base_url(base_url, allow_private=settings.ALLOW_PRIVATE_PROVIDER_URLS)
        except UnsafeURL as error:
            raise forms.ValidationError(str(error))

    def save(self, commit=True):
        credential = super().save(commit=False)
        if self.cleaned_data.get("api_key"):
            credential.set_key(self.cleaned_data["api_key"])
        elif self.cleaned_data.get("clear_key"):
            credential.set_key("")
        if commit:
            credential.save()
        return credential


@admin.register(ProviderCredential)
class ProviderCredentialAdmin(admin.ModelAdmin):
    form = ProviderCredentialForm
    list_display = ["name", "user", "provider", "key_hint", "base_url", "last_verified_at", "updated_at"]
    list_filter = ["provider"]
    search_fields = ["name", "user__username", "base_url"]
    raw_id_fields = ["user"]
    readonly_fields = ["key_hint", "last_verified_at", "created_at", "updated_at"]
    fields = [
        "user",
        "provider",
        "name",
        "base_url",
        "api_key",
        "clear_key",
        "key_hint",
        "last_verified_at",
        "last_error",
        "created_at",
        "updated_at",
    ]


@admin.register(ModelConfig)
class ModelConfigAdmin(admin.ModelAdmin):
    list_display = ["user", "action", "provider", "model", "temperature", "max_tokens", "credential", "updated_at"]
    list_filter = ["action", "provider"]
    search_fields = ["user__username", "model"]
    raw_id_fields = ["user", "credential"]
    readonly_fields = ["created_at", "updated_at"]
