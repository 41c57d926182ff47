from django.core.management.base import BaseCommand

from directorstudio.facade.keys import anon_key_issue


class Command(BaseCommand):
    help = "Print the project's anon key: the `apikey` the Supabase clients are given with this server's URL."

    def handle(self, *args, **options) -> None:
        self.stdout.write(anon_key_issue())
