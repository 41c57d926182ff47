from django.core.management.base import BaseCommand, CommandError

from directorstudio.accounts.models import User
from directorstudio.accounts.tokens import access_token_issue


class Command(BaseCommand):
    help = "Print an API access token for the user with this email, e.g. for curl -H 'Authorization: Bearer …'."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user has the email {email!r}.")
        if not user.is_active:
            raise CommandError(f"The user {user.email} is deactivated.")
        self.stdout.write(access_token_issue(user=user).token)
