"""The forms of the writers' pages that post to the server rather than to the API."""

from django import forms

from screenplays.services import TITLE_MAX


class ScreenplayRenameForm(forms.Form):
    """A new title for a screenplay, and the version the writer saw it at."""

    title = forms.CharField(max_length=TITLE_MAX)
    version = forms.IntegerField(min_value=1)
