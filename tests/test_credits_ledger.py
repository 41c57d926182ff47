"""The credits ledger: claims, movements, refunds, purchases, App Store refunds, staff grants and reconciling."""

import hashlib
import threading
import uuid
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from rest_framework.test import APIClient

from credits.models import CreditMovement, CreditsLedger, MovementReason
from credits.services import credits_refund_for_clip_job, credits_spend_for_clip_job, ledger_claim_first_clip
from directorstudio.accounts.models import User
from tests.appstore_keys import BUNDLE_ID, make_chain, notification_payload, transaction_payload
from tests.tokens import signed_in

CLAIM = "/api/v1/credits_ledger/claim_first_clip/"
PURCHASES = "/api/v1/credits_ledger/purchases/"
NOTIFICATIONS = "/api/v1/app_store/notifications/"


def apple_key(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()


KEY = apple_key("alice's apple account")


def movements(ledger: CreditsLedger) -> list[tuple[int, int, str]]:
    return list(
        CreditMovement.objects.filter(ledger=ledger)
        .order_by("created_at")
        .values_list("amount", "balance_after", "reason")
    )


def reconcile() -> str:
    out = StringIO()
    call_command("credits_reconcile", stdout=out)
    return out.getvalue()


# --- Claiming a key ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_claim_creates_the_row_and_grants_the_first_clip_once(as_alice, alice):
    first = as_alice.post(CLAIM, {"user_key": KEY}, format="json")
    again = as_alice.post(CLAIM, {"user_key": KEY}, format="json")

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    body = first.json()
    assert (body["credits"], body["first_clip_granted"], body["user_id"]) == (1, True, str(alice.pk))
    assert body["granted_at"]
    ledger = CreditsLedger.objects.get(user_key=KEY)
    assert movements(ledger) == [(1, 1, MovementReason.FIRST_CLIP)]


@pytest.mark.django_db
def test_a_row_the_app_wrote_before_sign_in_is_claimed_with_its_balance(as_alice, alice):
    ledger = CreditsLedger.objects.create(user_key=KEY, credits=0, user_id=None)

    response = as_alice.post(CLAIM, {"user_key": KEY}, format="json")

    assert response.status_code == 200
    ledger.refresh_from_db()
    assert (ledger.user_id, ledger.credits, ledger.first_clip_granted) == (alice.pk, 1, True)


@pytest.mark.django_db
def test_a_key_already_granted_its_first_clip_is_not_granted_again(as_alice):
    CreditsLedger.objects.create(user_key=KEY, credits=0, first_clip_granted=True, first_clip_consumed=True)

    response = as_alice.post(CLAIM, {"user_key": KEY}, format="json")

    assert response.status_code == 200
    assert response.json()["credits"] == 0
    assert not CreditMovement.objects.exists()


@pytest.mark.django_db
def test_a_key_of_somebody_else_is_a_409_that_shows_nothing(as_bob, alice):
    CreditsLedger.objects.create(user_key=KEY, credits=40, user_id=alice.pk)

    response = as_bob.post(CLAIM, {"user_key": KEY}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "This user key cannot be registered.", "code": "user_key_taken"}
    assert CreditsLedger.objects.get(user_key=KEY).credits == 40


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"user_key": ""}, {"user_key": "k" * 201}, {"user_key": ["a"]}])
def test_a_claim_without_a_usable_key_is_a_400(as_alice, body):
    assert as_alice.post(CLAIM, body, format="json").status_code == 400
    assert not CreditsLedger.objects.exists()


def run_concurrently(count: int, work) -> list:
    """Run `work(i)` in `count` threads at once, each on its own database connection; return results or errors."""
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_a_new_key_and_of_an_unbound_row_grant_once():
    alice = User.objects.create_user("alice@example.com")
    unbound = CreditsLedger.objects.create(user_key=apple_key("unbound"), user_id=None)

    new_key = run_concurrently(8, lambda i: ledger_claim_first_clip(user_id=alice.pk, user_key=KEY))
    old_row = run_concurrently(8, lambda i: ledger_claim_first_clip(user_id=alice.pk, user_key=unbound.user_key))

    assert all(isinstance(result, CreditsLedger) for result in new_key + old_row), new_key + old_row
    for key in (KEY, unbound.user_key):
        ledger = CreditsLedger.objects.get(user_key=key)
        assert (ledger.credits, ledger.user_id) == (1, alice.pk)
        assert movements(ledger) == [(1, 1, MovementReason.FIRST_CLIP)]
    assert "Every ledger row matches" in reconcile()


# --- Spending and refunds ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refund_happens_once_however_often_it_is_asked(alice):
    ledger = ledger_claim_first_clip(user_id=alice.pk, user_key=KEY)
    job_id = uuid.uuid4()
    credits_spend_for_clip_job(user_id=alice.pk, user_key=KEY, clip_job_id=job_id)

    refunds = [credits_refund_for_clip_job(clip_job_id=job_id) for _ in range(3)]

    assert [refund is not None for refund in refunds] == [True, False, False]
    ledger.refresh_from_db()
    assert ledger.credits == 1
    assert movements(ledger) == [
        (1, 1, MovementReason.FIRST_CLIP),
        (-1, 0, MovementReason.CLIP_JOB),
        (1, 1, MovementReason.CLIP_JOB_REFUND),
    ]
    assert credits_refund_for_clip_job(clip_job_id=uuid.uuid4()) is None  # never paid


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_of_one_job_refund_once():
    alice = User.objects.create_user("alice@example.com")
    ledger = ledger_claim_first_clip(user_id=alice.pk, user_key=KEY)
    job_id = uuid.uuid4()
    credits_spend_for_clip_job(user_id=alice.pk, user_key=KEY, clip_job_id=job_id)

    results = run_concurrently(6, lambda i: credits_refund_for_clip_job(clip_job_id=job_id))

    assert sum(isinstance(result, CreditsLedger) for result in results) == 1, results
    ledger.refresh_from_db()
    assert ledger.credits == 1


@pytest.mark.django_db
def test_the_first_spend_after_the_free_clip_marks_it_consumed(alice):
    ledger_claim_first_clip(user_id=alice.pk, user_key=KEY)

    ledger = credits_spend_for_clip_job(user_id=alice.pk, user_key=KEY, clip_job_id=uuid.uuid4())

    assert (ledger.credits, ledger.first_clip_consumed) == (0, True)
    assert CreditsLedger.objects.get(pk=ledger.pk).first_clip_consumed


# --- Reconciling -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reconcile_catches_a_balance_tampered_with_by_sql(alice):
    ledger = ledger_claim_first_clip(user_id=alice.pk, user_key=KEY)
    assert "Every ledger row matches" in reconcile()

    with connection.cursor() as cursor:
        cursor.execute("UPDATE credits_ledger SET credits = 500 WHERE id = %s", [ledger.pk])

    with pytest.raises(CommandError, match="1 ledger rows do not match"):
        reconcile()
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("credits_reconcile", stdout=out)
    assert f"{KEY} (ledger {ledger.pk}): balance 500, movements sum to 1, difference +499" in out.getvalue()


# --- Purchases and App Store notifications -----------------------------------------------------


@pytest.fixture(scope="module")
def chain():
    return make_chain()


@pytest.fixture
def app_store(settings, tmp_path, chain):
    settings.APP_STORE_BUNDLE_ID = BUNDLE_ID
    settings.APP_STORE_ENVIRONMENT = "Sandbox"
    settings.APP_STORE_ROOT_CERTIFICATES = [str(chain.write_root(tmp_path))]
    return chain


@pytest.fixture
def claimed(alice) -> CreditsLedger:
    return ledger_claim_first_clip(user_id=alice.pk, user_key=KEY)


@pytest.mark.django_db
def test_a_purchase_credits_once(as_alice, app_store, claimed):
    signed = app_store.sign(transaction_payload(transactionId="T-1"))

    first = as_alice.post(PURCHASES, {"user_key": KEY, "signed_transaction": signed}, format="json")
    again = as_alice.post(PURCHASES, {"user_key": KEY, "signed_transaction": signed}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["credits"] == again.json()["credits"] == 26
    purchase = CreditMovement.objects.get(reason=MovementReason.PURCHASE)
    assert (purchase.amount, purchase.app_store_transaction_id) == (25, "T-1")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"bundleId": "com.example.another.app"},
        {"revocationDate": 1_700_000_000_000, "revocationReason": 0},
        {"productId": "com.directorstudio.credits.9999"},
        {"environment": "Production"},
    ],
    ids=["another app", "revoked", "unknown product", "other environment"],
)
def test_a_purchase_that_is_not_ours_to_credit_is_refused_with_a_clear_400(as_alice, app_store, claimed, overrides):
    signed = app_store.sign(transaction_payload(**overrides))

    response = as_alice.post(PURCHASES, {"user_key": KEY, "signed_transaction": signed}, format="json")

    assert response.status_code == 400
    assert response.json()["signed_transaction"][0]
    claimed.refresh_from_db()
    assert claimed.credits == 1


@pytest.mark.django_db
def test_a_purchase_signed_by_anybody_but_apple_is_refused(as_alice, app_store, claimed):
    forged = make_chain(name="Forger").sign(transaction_payload())

    response = as_alice.post(PURCHASES, {"user_key": KEY, "signed_transaction": forged}, format="json")

    assert response.status_code == 400
    assert not CreditMovement.objects.filter(reason=MovementReason.PURCHASE).exists()


@pytest.mark.django_db
def test_a_transaction_that_credited_somebody_else_is_a_409(as_alice, as_bob, bob, app_store, claimed):
    ledger_claim_first_clip(user_id=bob.pk, user_key=apple_key("bob"))
    signed = app_store.sign(transaction_payload(transactionId="T-2"))
    assert as_alice.post(PURCHASES, {"user_key": KEY, "signed_transaction": signed}, format="json").status_code == 201

    response = as_bob.post(PURCHASES, {"user_key": apple_key("bob"), "signed_transaction": signed}, format="json")

    assert response.status_code == 409
    assert CreditsLedger.objects.get(user_key=apple_key("bob")).credits == 1


@pytest.mark.django_db
def test_a_purchase_for_a_key_you_have_not_claimed_is_a_404(as_bob, app_store, claimed):
    signed = app_store.sign(transaction_payload())

    assert as_bob.post(PURCHASES, {"user_key": KEY, "signed_transaction": signed}, format="json").status_code == 404


@pytest.mark.django_db
def test_a_refund_notification_takes_back_what_is_left_and_notes_the_shortfall(as_alice, alice, app_store, claimed):
    signed = app_store.sign(transaction_payload(transactionId="T-3"))
    as_alice.post(PURCHASES, {"user_key": KEY, "signed_transaction": signed}, format="json")
    for _ in range(20):  # 26 credits, 20 spent: 6 left of the 25 the store takes back
        credits_spend_for_clip_job(user_id=alice.pk, user_key=KEY, clip_job_id=uuid.uuid4())
    refunded = app_store.sign(transaction_payload(transactionId="T-3", revocationDate=1_700_000_000_000))
    notification = app_store.sign(notification_payload("REFUND", signed_transaction_info=refunded))

    first = APIClient().post(NOTIFICATIONS, {"signedPayload": notification}, format="json")
    again = APIClient().post(NOTIFICATIONS, {"signedPayload": notification}, format="json")

    assert (first.status_code, again.status_code) == (200, 200)
    claimed.refresh_from_db()
    assert claimed.credits == 0
    refund = CreditMovement.objects.get(reason=MovementReason.APP_STORE_REFUND)
    assert refund.amount == -6
    assert "19 had already been spent" in refund.note
    assert "Every ledger row matches" in reconcile()


@pytest.mark.django_db
def test_a_notification_not_signed_by_apple_is_a_400_and_changes_nothing(app_store, claimed):
    forged = make_chain(name="Forger")
    notification = forged.sign(
        notification_payload("REFUND", signed_transaction_info=forged.sign(transaction_payload()))
    )

    response = APIClient().post(NOTIFICATIONS, {"signedPayload": notification}, format="json")

    assert response.status_code == 400
    assert CreditMovement.objects.count() == 1


# --- The admin ---------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    staff = User.objects.create_superuser("staff@example.com", "password")
    client.force_login(staff)
    client.staff = staff
    return client


def change_url(ledger: CreditsLedger) -> str:
    return reverse("admin:credits_creditsledger_change", args=[ledger.pk])


def ledger_form(ledger: CreditsLedger, **move) -> dict:
    return {
        "user_key": ledger.user_key,
        "user_id": str(ledger.user_id),
        "movements-TOTAL_FORMS": "0",
        "movements-INITIAL_FORMS": "0",
        **move,
    }


@pytest.mark.django_db
def test_staff_grant_credits_with_a_reason_and_see_the_history(staff_client, claimed):
    response = staff_client.post(
        change_url(claimed), ledger_form(claimed, direction="grant", amount="10", note="Festival prize")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    claimed.refresh_from_db()
    assert claimed.credits == 11
    grant = CreditMovement.objects.get(reason=MovementReason.ADMIN_GRANT)
    assert (grant.amount, grant.note, grant.staff_user_id) == (10, "Festival prize", staff_client.staff.pk)
    assert "Granted 10 credits: Festival prize" in LogEntry.objects.get(object_id=str(claimed.pk)).get_change_message()
    page = staff_client.get(change_url(claimed))
    assert "Festival prize" in page.text
    history = staff_client.get(reverse("admin:credits_creditmovement_changelist"), {"ledger__id__exact": claimed.pk})
    assert list(history.context["cl"].result_list) == list(CreditMovement.objects.filter(ledger=claimed))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("move", "field", "message"),
    [
        ({"direction": "grant", "amount": "5", "note": ""}, "note", "Say why"),
        ({"direction": "revoke", "amount": "2", "note": "Chargeback"}, "amount", "revoke at most that many"),
        ({"direction": "grant", "amount": "0", "note": "Zero"}, "amount", "greater than or equal to 1"),
    ],
)
def test_a_grant_or_revoke_that_breaks_a_rule_is_a_form_error_and_changes_nothing(
    staff_client, claimed, move, field, message
):
    response = staff_client.post(change_url(claimed), ledger_form(claimed, **move))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert message in " ".join(form.errors.get(field, []) + form.non_field_errors())
    claimed.refresh_from_db()
    assert claimed.credits == 1
    assert CreditMovement.objects.count() == 1


@pytest.mark.django_db
def test_the_bulk_action_grants_every_selected_row_or_none(staff_client, claimed, bob):
    other = ledger_claim_first_clip(user_id=bob.pk, user_key=apple_key("bob"))
    changelist = reverse("admin:credits_creditsledger_changelist")
    selected = {"action": "grant_credits", "_selected_action": [str(claimed.pk), str(other.pk)]}

    form_page = staff_client.post(changelist, selected)
    assert form_page.status_code == 200
    assert "Apply to 2 rows" in form_page.text
    done = staff_client.post(
        changelist, {**selected, "apply": "1", "direction": "grant", "amount": "3", "note": "Beta"}
    )
    refused = staff_client.post(
        changelist, {**selected, "apply": "1", "direction": "revoke", "amount": "5", "note": "Too much"}, follow=True
    )

    assert done.status_code == 302
    assert sorted(CreditsLedger.objects.values_list("credits", flat=True)) == [4, 4]
    assert "Nothing was changed" in refused.text
    assert sorted(CreditsLedger.objects.values_list("credits", flat=True)) == [4, 4]
    assert CreditMovement.objects.filter(reason=MovementReason.ADMIN_GRANT, note="Beta").count() == 2


@pytest.mark.django_db
def test_movements_are_listed_read_only_and_searchable_by_key_and_transaction(staff_client, claimed, app_store):
    purchase = app_store.sign(transaction_payload(transactionId="T-77"))
    signed_in(User.objects.get(pk=claimed.user_id)).post(
        PURCHASES, {"user_key": KEY, "signed_transaction": purchase}, format="json"
    )
    changelist = reverse("admin:credits_creditmovement_changelist")

    by_transaction = staff_client.get(changelist, {"q": "T-77"})
    by_key = staff_client.get(changelist, {"q": KEY})
    by_reason = staff_client.get(changelist, {"reason__exact": "first_clip"})

    assert [m.reason for m in by_transaction.context["cl"].result_list] == [MovementReason.PURCHASE]
    assert len(by_key.context["cl"].result_list) == 2
    assert [m.reason for m in by_reason.context["cl"].result_list] == [MovementReason.FIRST_CLIP]
    movement = CreditMovement.objects.first()
    assert staff_client.get(reverse("admin:credits_creditmovement_change", args=[movement.pk])).status_code == 200
    assert staff_client.get(reverse("admin:credits_creditmovement_add")).status_code == 403


# --- Bounds ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_balance_has_a_ceiling_that_a_grant_cannot_pass(staff_client, claimed):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE credits_ledger SET credits = 999999 WHERE id = %s", [claimed.pk])

    response = staff_client.post(change_url(claimed), ledger_form(claimed, direction="grant", amount="5", note="Gift"))

    assert response.status_code == 200
    assert "at most 1000000 credits" in response.text
    claimed.refresh_from_db()
    assert claimed.credits == 999999


@pytest.mark.django_db
def test_user_statistics_answers_when_a_users_keys_sum_past_an_integer(as_alice, alice):
    CreditsLedger.objects.bulk_create(
        CreditsLedger(user_id=alice.pk, user_key=apple_key(str(n)), credits=1_000_000) for n in range(2200)
    )

    response = as_alice.get("/api/v1/user_statistics/")

    assert response.status_code == 200
    assert response.json()[0]["credits"] == 2**31 - 1
