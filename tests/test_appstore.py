"""App Store purchase verification (credits/appstore.py) with a throwaway chain shaped like Apple's."""

import base64
import hashlib
import json
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from django.core.exceptions import ImproperlyConfigured

from credits import appstore
from directorstudio import settings as project_settings
from directorstudio.errors import InvalidInput
from tests.appstore_keys import (
    APP_APPLE_ID,
    BUNDLE_ID,
    AppleChain,
    make_chain,
    milliseconds,
    notification_payload,
    transaction_payload,
)

APPLE_ROOT = Path(__file__).resolve().parent.parent / "credits" / "apple_roots" / "AppleRootCA-G3.pem"
APPLE_ROOT_SHA256 = "63343ABFB89A6A03EBB57E9B3F5FA7BE7C4F5C756F3017B3A8C488C3653E9179"
PACKS = {
    "com.directorstudio.credits.25": 25,
    "com.directorstudio.credits.70": 70,
    "com.directorstudio.credits.150": 150,
    "com.directorstudio.credits.350": 350,
}


@pytest.fixture(scope="module")
def chain() -> AppleChain:
    return make_chain()


@pytest.fixture(scope="module")
def other_chain() -> AppleChain:
    """A chain shaped like Apple's under a root nobody configured."""
    return make_chain(name="Untrusted")


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Any attempt to reach the network fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("App Store verification tried to reach the network.")

    monkeypatch.setattr("appstoreserverlibrary.signed_data_verifier.requests.post", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(autouse=True)
def app_store(settings, tmp_path, chain) -> AppleChain:
    """The settings of a Sandbox server that trusts `chain`'s root (written as PEM)."""
    settings.APP_STORE_BUNDLE_ID = BUNDLE_ID
    settings.APP_STORE_APP_APPLE_ID = None
    settings.APP_STORE_ENVIRONMENT = "Sandbox"
    settings.APP_STORE_ROOT_CERTIFICATES = [str(chain.write_root(tmp_path))]
    settings.CREDIT_PACK_PRODUCTS = dict(PACKS)
    return chain


def refusal(action: Callable[[], object], kind: type[Exception] = InvalidInput) -> Exception:
    """The error `action` raises, which must be a `kind`."""
    with pytest.raises(kind) as caught:
        action()
    return caught.value


def purchase_refusal(signed_transaction: str) -> appstore.InvalidTransaction:
    """The error verified_purchase raises for `signed_transaction`."""
    error = refusal(
        lambda: appstore.verified_purchase(signed_transaction=signed_transaction), appstore.InvalidTransaction
    )
    assert list(error.field_errors) == ["signed_transaction"]
    assert error.field_errors["signed_transaction"] == [error.message]
    return error


def notification_refusal(signed_payload: str) -> appstore.InvalidTransaction:
    """The error verified_notification raises for `signed_payload`."""
    error = refusal(lambda: appstore.verified_notification(signed_payload=signed_payload), appstore.InvalidTransaction)
    assert list(error.field_errors) == ["signed_payload"]
    return error


def root_cause(error: BaseException) -> BaseException:
    """The first error of the chain that led to `error`."""
    while error.__cause__ is not None:
        error = error.__cause__
    return error


def replaced_payload(token: str, payload: dict) -> str:
    """`token` with its payload swapped for `payload`, keeping its header and signature."""
    header, _, signature = token.split(".")
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


# --- Purchases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("product_id", "credits"), PACKS.items())
def test_a_valid_purchase_verifies_with_its_packs_credits(chain, product_id, credits):
    purchased = datetime(2026, 3, 1, 12, 30, 15, 250000, tzinfo=UTC)
    payload = transaction_payload(
        productId=product_id,
        transactionId="2000000900000001",
        originalTransactionId="2000000900000000",
        purchaseDate=milliseconds(purchased),
    )

    purchase = appstore.verified_purchase(signed_transaction=chain.sign(payload))

    assert purchase == appstore.VerifiedPurchase(
        transaction_id="2000000900000001",
        original_transaction_id="2000000900000000",
        product_id=product_id,
        credits=credits,
        quantity=1,
        bundle_id=BUNDLE_ID,
        environment="Sandbox",
        purchase_date=purchased,
        revocation_date=None,
    )


def test_a_purchase_of_several_packs_counts_each(chain):
    purchase = appstore.verified_purchase(signed_transaction=chain.sign(transaction_payload(quantity=3)))

    assert (purchase.quantity, purchase.credits) == (3, 75)


def test_a_verified_purchase_cannot_be_changed(chain):
    purchase = appstore.verified_purchase(signed_transaction=chain.sign(transaction_payload()))

    with pytest.raises(AttributeError):
        purchase.credits = 1000  # type: ignore[misc]


def test_a_tampered_payload_is_refused(chain):
    token = chain.sign(transaction_payload())
    tampered = replaced_payload(token, transaction_payload(productId="com.directorstudio.credits.350"))

    error = purchase_refusal(tampered)

    assert error.code == "invalid_transaction"
    assert "signature" in error.message
    assert isinstance(root_cause(error), jwt.InvalidSignatureError)


def test_a_tampered_signature_is_refused(chain):
    header, payload, signature = chain.sign(transaction_payload()).split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]

    assert purchase_refusal(f"{header}.{payload}.{flipped}").code == "invalid_transaction"


def test_a_chain_under_another_root_is_refused(other_chain):
    error = purchase_refusal(other_chain.sign(transaction_payload()))

    assert error.code == "invalid_transaction"
    assert "unable to get local issuer certificate" in str(root_cause(error))


@pytest.mark.parametrize("missing", ["leaf_oid", "intermediate_oid"])
def test_a_chain_without_apples_markers_is_refused(settings, tmp_path, missing):
    unmarked = make_chain(**{missing: False})
    settings.APP_STORE_ROOT_CERTIFICATES = [str(unmarked.write_root(tmp_path))]

    error = purchase_refusal(unmarked.sign(transaction_payload()))

    assert error.code == "invalid_transaction"
    assert isinstance(root_cause(error), x509.ExtensionNotFound)


def test_data_signed_outside_the_certificates_lifetime_is_refused(chain):
    two_years_on = milliseconds(datetime.now(UTC) + timedelta(days=730))

    assert purchase_refusal(chain.sign(transaction_payload(signedDate=two_years_on))).code == "invalid_transaction"


@pytest.mark.parametrize("garbage", ["", "not a transaction", "a.b.c"])
def test_something_that_is_not_a_signed_transaction_is_refused(garbage):
    assert purchase_refusal(garbage).code == "invalid_transaction"


def test_a_transaction_without_its_ids_is_refused(chain):
    payload = transaction_payload()
    del payload["transactionId"]

    error = purchase_refusal(chain.sign(payload))

    assert error.code == "invalid_transaction"
    assert "transactionId" in error.message


def test_another_apps_purchase_is_refused(chain):
    error = purchase_refusal(chain.sign(transaction_payload(bundleId="com.example.otherapp")))

    assert isinstance(error, appstore.WrongApp)
    assert error.code == "wrong_app"
    assert BUNDLE_ID in error.message


def test_a_production_purchase_is_refused_by_a_sandbox_server(chain):
    error = purchase_refusal(chain.sign(transaction_payload(environment="Production")))

    assert isinstance(error, appstore.WrongEnvironment)
    assert error.code == "wrong_environment"
    assert "Sandbox" in error.message


def test_a_sandbox_purchase_is_refused_by_a_production_server(settings, chain):
    settings.APP_STORE_ENVIRONMENT = "Production"
    settings.APP_STORE_APP_APPLE_ID = APP_APPLE_ID

    assert purchase_refusal(chain.sign(transaction_payload())).code == "wrong_environment"
    production = appstore.verified_purchase(
        signed_transaction=chain.sign(transaction_payload(environment="Production"))
    )
    assert production.environment == "Production"


def test_an_unknown_product_is_refused(chain):
    error = purchase_refusal(chain.sign(transaction_payload(productId="com.directorstudio.pro.monthly")))

    assert isinstance(error, appstore.UnknownProduct)
    assert error.code == "unknown_product"
    assert "com.directorstudio.pro.monthly" in error.message


def test_a_revoked_purchase_is_refused(chain):
    revoked = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    payload = transaction_payload(revocationDate=milliseconds(revoked), revocationReason=0)

    error = purchase_refusal(chain.sign(payload))

    assert isinstance(error, appstore.TransactionRevoked)
    assert error.code == "transaction_revoked"
    assert "refunded or revoked" in error.message
    assert "2026-03-02 09:00" in error.message


def test_errors_are_the_projects_invalid_input(chain):
    error = purchase_refusal(chain.sign(transaction_payload(productId="unknown")))

    assert isinstance(error, InvalidInput)
    assert error.field_errors == {"signed_transaction": [error.message]}
    assert str(error) == error.message


# --- Notifications -----------------------------------------------------------------------------


def test_a_refund_notification_verifies_and_carries_its_revoked_transaction(chain):
    revoked = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    transaction = chain.sign(
        transaction_payload(productId="com.directorstudio.credits.70", revocationDate=milliseconds(revoked))
    )
    payload = notification_payload("REFUND", signed_transaction_info=transaction)

    notification = appstore.verified_notification(signed_payload=chain.sign(payload))

    assert notification.notification_type == "REFUND"
    assert notification.subtype is None
    assert notification.notification_uuid == payload["notificationUUID"]
    assert notification.purchase is not None
    assert notification.purchase.product_id == "com.directorstudio.credits.70"
    assert notification.purchase.credits == 70
    assert notification.purchase.revocation_date == revoked


def test_a_notification_keeps_its_subtype(chain):
    payload = notification_payload(
        "CONSUMPTION_REQUEST", subtype="UNREPORTED", signed_transaction_info=chain.sign(transaction_payload())
    )

    notification = appstore.verified_notification(signed_payload=chain.sign(payload))

    assert (notification.notification_type, notification.subtype) == ("CONSUMPTION_REQUEST", "UNREPORTED")
    assert notification.purchase is not None
    assert notification.purchase.revocation_date is None


def test_a_notification_without_a_transaction_has_no_purchase(chain):
    notification = appstore.verified_notification(signed_payload=chain.sign(notification_payload("TEST")))

    assert notification.notification_type == "TEST"
    assert notification.purchase is None


def test_a_tampered_notification_is_refused(chain):
    token = chain.sign(notification_payload("TEST"))

    error = notification_refusal(replaced_payload(token, notification_payload("REFUND")))

    assert isinstance(error, appstore.InvalidNotification)
    assert error.code == "invalid_notification"


def test_a_notification_under_another_root_is_refused(other_chain):
    assert notification_refusal(other_chain.sign(notification_payload("TEST"))).code == "invalid_notification"


def test_a_notification_whose_transaction_is_not_apples_is_refused(chain, other_chain):
    payload = notification_payload("REFUND", signed_transaction_info=other_chain.sign(transaction_payload()))

    error = notification_refusal(chain.sign(payload))

    assert error.code == "invalid_transaction"
    assert "notification's transaction" in error.message


def test_another_apps_notification_is_refused(chain):
    payload = notification_payload("TEST", bundleId="com.example.otherapp")

    assert notification_refusal(chain.sign(payload)).code == "wrong_app"


def test_a_notification_of_another_environment_is_refused(chain):
    payload = notification_payload("TEST", environment="Production")

    assert notification_refusal(chain.sign(payload)).code == "wrong_environment"


def test_a_production_notification_must_name_this_apps_apple_id(settings, chain):
    settings.APP_STORE_ENVIRONMENT = "Production"
    settings.APP_STORE_APP_APPLE_ID = APP_APPLE_ID
    transaction = chain.sign(transaction_payload(environment="Production"))

    ours = notification_payload("REFUND", signed_transaction_info=transaction, environment="Production")
    theirs = notification_payload(
        "REFUND", signed_transaction_info=transaction, environment="Production", appAppleId=APP_APPLE_ID + 1
    )

    assert appstore.verified_notification(signed_payload=chain.sign(ours)).purchase is not None
    assert notification_refusal(chain.sign(theirs)).code == "wrong_app"


def test_a_notification_about_an_unknown_product_is_refused(chain):
    transaction = chain.sign(transaction_payload(productId="com.directorstudio.pro.monthly"))

    error = notification_refusal(chain.sign(notification_payload("REFUND", signed_transaction_info=transaction)))

    assert error.code == "unknown_product"


# --- Roots and settings ------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["pem", "der"])
def test_pem_and_der_roots_both_verify(settings, tmp_path, chain, encoding):
    settings.APP_STORE_ROOT_CERTIFICATES = [str(chain.write_root(tmp_path, encoding))]

    assert appstore.verified_purchase(signed_transaction=chain.sign(transaction_payload())).credits == 25


def test_a_pem_bundle_trusts_each_of_its_roots(settings, tmp_path, chain):
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(APPLE_ROOT.read_bytes() + chain.root_bytes("pem"))
    settings.APP_STORE_ROOT_CERTIFICATES = [str(bundle)]

    assert len(appstore.load_root_certificates([bundle])) == 2
    assert appstore.verified_purchase(signed_transaction=chain.sign(transaction_payload())).credits == 25


def test_the_shipped_apple_root_loads():
    (der,) = appstore.load_root_certificates([APPLE_ROOT])

    assert hashlib.sha256(der).hexdigest().upper() == APPLE_ROOT_SHA256
    certificate = x509.load_der_x509_certificate(der)
    assert certificate.subject.rfc4514_string() == (
        "C=US,O=Apple Inc.,OU=Apple Certification Authority,CN=Apple Root CA - G3"
    )


def test_relative_root_paths_are_from_the_project_folder():
    (der,) = appstore.load_root_certificates(["credits/apple_roots/AppleRootCA-G3.pem"])

    assert hashlib.sha256(der).hexdigest().upper() == APPLE_ROOT_SHA256


def test_with_only_apples_root_a_test_chain_is_refused(settings, chain):
    settings.APP_STORE_ROOT_CERTIFICATES = [str(APPLE_ROOT)]

    assert purchase_refusal(chain.sign(transaction_payload())).code == "invalid_transaction"


def test_a_missing_or_unreadable_root_is_a_configuration_error(settings, tmp_path, chain):
    not_a_certificate = tmp_path / "README.md"
    not_a_certificate.write_text("# roots\n")
    signed = chain.sign(transaction_payload())

    for roots in ([str(tmp_path / "missing.pem")], [str(not_a_certificate)], []):
        settings.APP_STORE_ROOT_CERTIFICATES = roots
        refusal(lambda: appstore.verified_purchase(signed_transaction=signed), ImproperlyConfigured)


def test_production_needs_the_apps_apple_id(settings, chain):
    settings.APP_STORE_ENVIRONMENT = "Production"
    signed = chain.sign(transaction_payload(environment="Production"))

    error = refusal(lambda: appstore.verified_purchase(signed_transaction=signed), ImproperlyConfigured)

    assert "APP_STORE_APP_APPLE_ID" in str(error)


@pytest.mark.parametrize("environment", ["Xcode", "LocalTesting", "sandbox", ""])
def test_only_signed_environments_can_be_configured(settings, chain, environment):
    # Apple's library skips the signature check for Xcode and LocalTesting data: never accept them.
    settings.APP_STORE_ENVIRONMENT = environment
    signed = chain.sign(transaction_payload(environment=environment))

    refusal(lambda: appstore.verified_purchase(signed_transaction=signed), ImproperlyConfigured)


def test_credit_packs_read_from_pairs(settings):
    settings.CREDIT_PACK_PRODUCTS = " com.directorstudio.credits.25=25 , pack.big = 1000 ,"

    assert appstore.credit_packs() == {"com.directorstudio.credits.25": 25, "pack.big": 1000}


@pytest.mark.parametrize("packs", ["pack=", "pack=0", "pack=-5", "=25", {"pack": "many"}])
def test_a_bad_credit_pack_is_a_configuration_error(settings, packs):
    settings.CREDIT_PACK_PRODUCTS = packs

    refusal(appstore.credit_packs, ImproperlyConfigured)


@pytest.mark.skipif(
    bool(os.environ.get("APP_STORE_ROOT_CERTIFICATES") or os.environ.get("CREDIT_PACK_PRODUCTS")),
    reason="the environment overrides the defaults",
)
def test_the_default_settings_trust_apples_root_and_sell_the_four_packs():
    assert [str(APPLE_ROOT)] == project_settings.APP_STORE_ROOT_CERTIFICATES
    assert appstore.credit_packs() == PACKS
