from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User
from accounts.selectors import username_taken


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_username(self):
        username = self.cleaned_data["username"]
        if username_taken(username=username):
            raise forms.ValidationError("That username is taken.")
        return username
