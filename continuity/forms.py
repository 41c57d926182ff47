"""The continuity page's form: one scene state, its lists typed as comma-separated names."""

from typing import Any

from django import forms

from continuity.serializers import SCENE_LIST_MAX


class NameListField(forms.CharField):
    """Names separated by commas, as a list without blanks."""

    def to_python(self, value: Any) -> list[str]:
        names = [name.strip() for name in super().to_python(value).split(",")]
        return [name for name in names if name]

    def prepare_value(self, value: Any) -> str:
        return ", ".join(value) if isinstance(value, list) else value

    def validate(self, value: list[str]) -> None:
        if len(value) > SCENE_LIST_MAX:
            raise forms.ValidationError(f"At most {SCENE_LIST_MAX} names.")
        if any(len(name) > 500 for name in value):
            raise forms.ValidationError("A name has at most 500 characters.")


class SceneStateForm(forms.Form):
    """A scene state as the writer edits it on the continuity page."""

    location = forms.CharField(max_length=500, required=False)
    characters = NameListField(required=False, help_text="Separated by commas.")
    props = NameListField(required=False, help_text="Separated by commas.")
    tone = forms.CharField(max_length=200, required=False, help_text="A mood word or phrase.")
    prompt = forms.CharField(max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
