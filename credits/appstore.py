"""Verification of App Store purchases: StoreKit 2 signed transactions and App Store Server Notifications V2.

Apple signs both with ES256 and a certificate chain (leaf, intermediate, root) in the JWS's
`x5c` header. Apple's `app-store-server-library` checks the chain against the roots of
APP_STORE_ROOT_CERTIFICATES at the moment Apple signed the data, then the signature, the bundle
id and the environment; this module adds the project's rules (a known credit pack, not revoked)
and turns every refusal into one of the project's errors. Online checks (OCSP) are off: nothing
here reaches the network.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from appstoreserverlibrary.models.Environment import Environment
from appstoreserverlibrary.models.JWSTransactionDecodedPayload import JWSTransactionDecodedPayload
from appstoreserverlibrary.models.ResponseBodyV2DecodedPayload import ResponseBodyV2DecodedPayload
from appstoreserverlibrary.signed_data_verifier import SignedDataVerifier, VerificationException, VerificationStatus
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from directorstudio.errors import InvalidInput, ServiceUnavailable

# Only the environments whose data Apple signs: the library skips verification for Xcode and LocalTesting.
SIGNED_ENVIRONMENTS = (Environment.PRODUCTION, Environment.SANDBOX)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidTransaction(InvalidInput):
    """A signed transaction that is not Apple's, is damaged or lacks what a purchase needs."""

    code = "invalid_transaction"
    message = "This purchase could not be verified as coming from the App Store."

    def __init__(self, message: str | None = None, *, field: str = "signed_transaction") -> None:
        message = message or self.message
        super().__init__({field: [message]}, message)


class InvalidNotification(InvalidTransaction):
    """A signed App Store Server Notification that is not Apple's or is damaged."""

    code = "invalid_notification"
    message = "This notification could not be verified as coming from the App Store."


class WrongApp(InvalidTransaction):
    """Signed data Apple made for another app (another bundle id or Apple ID)."""

    code = "wrong_app"
    message = "This purchase was made in another app."


class WrongEnvironment(InvalidTransaction):
    """Signed data of the other App Store environment (Sandbox versus Production)."""

    code = "wrong_environment"
    message = "This purchase was made in another App Store environment."


class UnknownProduct(InvalidTransaction):
    """A transaction for a product that is not one of the credit packs of CREDIT_PACK_PRODUCTS."""

    code = "unknown_product"
    message = "This product is not a credit pack."


class TransactionRevoked(InvalidTransaction):
    """A transaction Apple refunded or revoked, whose credits must not be granted."""

    code = "transaction_revoked"
    message = "This purchase was refunded or revoked by the App Store."


@dataclass(frozen=True, kw_only=True, slots=True)
class VerifiedPurchase:
    """A credit-pack transaction whose Apple signature, app, environment and product were checked."""

    transaction_id: str
    original_transaction_id: str
    product_id: str
    credits: int
    quantity: int
    bundle_id: str
    environment: str
    purchase_date: datetime
    revocation_date: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class VerifiedNotification:
    """An App Store Server Notification V2 whose signature, app and environment were checked."""

    notification_type: str
    subtype: str | None
    notification_uuid: str
    purchase: VerifiedPurchase | None


def verified_purchase(*, signed_transaction: str) -> VerifiedPurchase:
    """The purchase a StoreKit 2 signed transaction (JWS) proves, if it is a live credit pack of this app."""
    field = "signed_transaction"
    purchase = _purchase(_verifier(), signed_transaction, field=field, subject="This purchase")
    if purchase.revocation_date is not None:
        raise TransactionRevoked(
            f"This purchase was refunded or revoked by the App Store on {purchase.revocation_date:%Y-%m-%d %H:%M} UTC; "
            "its credits cannot be granted.",
            field=field,
        )
    return purchase


def verified_notification(*, signed_payload: str) -> VerifiedNotification:
    """The App Store Server Notification V2 a signedPayload carries, with its transaction verified the same way."""
    field = "signed_payload"
    verifier = _verifier()
    try:
        notification: ResponseBodyV2DecodedPayload = verifier.verify_and_decode_notification(signed_payload)
    except VerificationException as error:
        raise _refusal(error.status, field=field, subject="This notification", invalid=InvalidNotification) from error
    except Exception as error:  # the payload was signed but does not have a notification's shape
        raise InvalidNotification("This notification is not a valid App Store notification.", field=field) from error
    if not notification.rawNotificationType or not notification.notificationUUID:
        raise InvalidNotification("This notification lacks its type or its notificationUUID.", field=field)
    signed_transaction = notification.data.signedTransactionInfo if notification.data else None
    # A refund or a revocation notification is about a revoked transaction: it is reported, not refused.
    purchase = (
        _purchase(verifier, signed_transaction, field=field, subject="This notification's transaction")
        if signed_transaction
        else None
    )
    return VerifiedNotification(
        notification_type=notification.rawNotificationType,
        subtype=notification.rawSubtype,
        notification_uuid=notification.notificationUUID,
        purchase=purchase,
    )


def credit_packs() -> dict[str, int]:
    """The credit packs of CREDIT_PACK_PRODUCTS (a mapping, or `product_id=credits` pairs separated by commas)."""
    configured: Mapping[str, object] | str = settings.CREDIT_PACK_PRODUCTS
    if isinstance(configured, str):
        pairs = (pair.partition("=") for pair in configured.split(",") if pair.strip())
        configured = {product.strip(): credits for product, _, credits in pairs}
    packs: dict[str, int] = {}
    for product, credits in configured.items():
        text = str(credits).strip()
        if not product or not (text.isascii() and text.isdigit()) or int(text) == 0:
            raise ImproperlyConfigured(
                f"CREDIT_PACK_PRODUCTS: {product!r}={credits!r} is not a product id with a positive number of credits."
            )
        packs[product] = int(text)
    return packs


def load_root_certificates(paths: Iterable[str | Path]) -> list[bytes]:
    """The DER bytes of every certificate in the PEM or DER files at `paths` (relative paths are from BASE_DIR)."""
    roots: list[bytes] = []
    for name in paths:
        path = Path(name)
        if not path.is_absolute():
            path = Path(settings.BASE_DIR) / path
        try:
            content = path.read_bytes()
        except OSError as error:
            raise ImproperlyConfigured(f"App Store root certificate {path} cannot be read: {error}.") from error
        try:
            if b"-----BEGIN" in content:
                certificates = x509.load_pem_x509_certificates(content)
            else:
                certificates = [x509.load_der_x509_certificate(content)]
        except ValueError as error:
            raise ImproperlyConfigured(
                f"App Store root certificate {path} is neither a PEM nor a DER certificate."
            ) from error
        roots.extend(certificate.public_bytes(Encoding.DER) for certificate in certificates)
    return roots


def _verifier() -> SignedDataVerifier:
    """Apple's verifier, set up from the settings, with online checks off."""
    try:
        environment = Environment(settings.APP_STORE_ENVIRONMENT)
    except ValueError:
        environment = None
    if environment not in SIGNED_ENVIRONMENTS:
        raise ImproperlyConfigured(
            f"APP_STORE_ENVIRONMENT must be Production or Sandbox, not {settings.APP_STORE_ENVIRONMENT!r}."
        )
    app_apple_id = settings.APP_STORE_APP_APPLE_ID
    if environment == Environment.PRODUCTION and app_apple_id is None:
        raise ImproperlyConfigured("APP_STORE_APP_APPLE_ID must be set when APP_STORE_ENVIRONMENT is Production.")
    roots = load_root_certificates(settings.APP_STORE_ROOT_CERTIFICATES)
    if not roots:
        raise ImproperlyConfigured("APP_STORE_ROOT_CERTIFICATES names no root certificate.")
    return SignedDataVerifier(
        root_certificates=roots,
        enable_online_checks=False,
        environment=environment,
        bundle_id=settings.APP_STORE_BUNDLE_ID,
        app_apple_id=None if app_apple_id is None else int(app_apple_id),
    )


def _purchase(verifier: SignedDataVerifier, signed_transaction: str, *, field: str, subject: str) -> VerifiedPurchase:
    """The credit-pack purchase of a signed transaction, revoked or not, or the error that refuses it."""
    try:
        transaction: JWSTransactionDecodedPayload = verifier.verify_and_decode_signed_transaction(signed_transaction)
    except VerificationException as error:
        raise _refusal(error.status, field=field, subject=subject) from error
    except Exception as error:  # signed, but not a transaction's shape
        raise InvalidTransaction(f"{subject} is not a valid App Store transaction.", field=field) from error
    required = {
        "transactionId": transaction.transactionId,
        "originalTransactionId": transaction.originalTransactionId,
        "productId": transaction.productId,
        "purchaseDate": transaction.purchaseDate,
    }
    missing = [name for name, value in required.items() if value is None or value == ""]
    if missing:
        raise InvalidTransaction(f"{subject} lacks {', '.join(missing)}.", field=field)
    packs = credit_packs()
    if transaction.productId not in packs:
        raise UnknownProduct(
            f"{subject} is for the product {transaction.productId!r}, which is not a credit pack of this app.",
            field=field,
        )
    quantity = transaction.quantity if transaction.quantity is not None else 1
    if quantity < 1:
        raise InvalidTransaction(f"{subject} has an invalid quantity ({quantity}).", field=field)
    return VerifiedPurchase(
        transaction_id=str(transaction.transactionId),
        original_transaction_id=str(transaction.originalTransactionId),
        product_id=str(transaction.productId),
        credits=packs[transaction.productId] * quantity,
        quantity=quantity,
        bundle_id=str(transaction.bundleId),
        environment=str(transaction.rawEnvironment),
        purchase_date=_moment(transaction.purchaseDate),
        revocation_date=None if transaction.revocationDate is None else _moment(transaction.revocationDate),
    )


def _refusal(
    status: VerificationStatus, *, field: str, subject: str, invalid: type[InvalidTransaction] = InvalidTransaction
) -> InvalidInput | ServiceUnavailable:
    """The project's error for a status of Apple's verifier; `invalid` is the one for a bad signature or chain."""
    if status == VerificationStatus.INVALID_APP_IDENTIFIER:
        return WrongApp(f"{subject} was made for another app, not {settings.APP_STORE_BUNDLE_ID}.", field=field)
    if status == VerificationStatus.INVALID_ENVIRONMENT:
        return WrongEnvironment(
            f"{subject} comes from another App Store environment; this server accepts "
            f"{settings.APP_STORE_ENVIRONMENT} only.",
            field=field,
        )
    if status == VerificationStatus.RETRYABLE_VERIFICATION_FAILURE:
        return ServiceUnavailable("Apple's certificate status service cannot be reached; try again later.")
    if status in (VerificationStatus.INVALID_CERTIFICATE, VerificationStatus.INVALID_CHAIN_LENGTH):
        return invalid(f"{subject} is not signed with an App Store certificate chain.", field=field)
    return invalid(
        f"{subject} could not be verified: its signature or its certificate chain is not the App Store's.",
        field=field,
    )


def _moment(milliseconds: int) -> datetime:
    """The UTC moment of an App Store timestamp in milliseconds since the epoch."""
    return EPOCH + timedelta(milliseconds=milliseconds)
