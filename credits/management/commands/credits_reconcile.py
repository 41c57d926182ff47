from django.core.management.base import BaseCommand, CommandError

from credits.selectors import ledger_discrepancies


class Command(BaseCommand):
    help = "Check that every key's balance equals the sum of its movements; print each difference."

    def handle(self, *args, **options) -> None:
        checked = 0
        for ledger in ledger_discrepancies().iterator():
            checked += 1
            self.stdout.write(
                f"{ledger.user_key} (ledger {ledger.pk}): balance {ledger.credits}, movements sum to "
                f"{ledger.moved}, difference {ledger.credits - ledger.moved:+d}"
            )
        if checked:
            raise CommandError(f"{checked} ledger rows do not match their movements.")
        self.stdout.write("Every ledger row matches its movements.")
