"""A throwaway App Store signing chain for tests: a root, an intermediate and a leaf shaped like Apple's.

Apple's verifier (app-store-server-library) checks the chain with OpenSSL's strict mode and
wants Apple's marker extensions: 1.2.840.113635.100.6.2.1 on the intermediate (Apple Worldwide
Developer Relations) and 1.2.840.113635.100.6.11.1 on the leaf (the Mac App Store and iTunes
Store receipt signing certificate). `AppleChain.sign` makes ES256 JWS with the `x5c` header
the App Store sends, so tests can mint signed transactions and notifications.
"""

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

LEAF_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.11.1")
INTERMEDIATE_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.2.1")
ASN1_NULL = b"\x05\x00"

BUNDLE_ID = "com.directorstudio.app"
APP_APPLE_ID = 1234567890
PACK_25 = "com.directorstudio.credits.25"


@dataclass(frozen=True)
class AppleChain:
    """A root, an intermediate and a leaf certificate with the leaf's private key."""

    root: x509.Certificate
    intermediate: x509.Certificate
    leaf: x509.Certificate
    leaf_key: ec.EllipticCurvePrivateKey

    def root_bytes(self, encoding: str = "pem") -> bytes:
        """The root certificate, PEM or DER encoded."""
        return self.root.public_bytes(Encoding.PEM if encoding == "pem" else Encoding.DER)

    def write_root(self, folder: Path, encoding: str = "pem") -> Path:
        """The path of a file in `folder` holding the root certificate, PEM or DER encoded."""
        path = folder / f"root-{uuid.uuid4().hex[:8]}.{'pem' if encoding == 'pem' else 'cer'}"
        path.write_bytes(self.root_bytes(encoding))
        return path

    def sign(self, payload: dict[str, Any]) -> str:
        """`payload` as a compact JWS signed ES256 by the leaf, with the chain in the `x5c` header."""
        x5c = [
            base64.b64encode(cert.public_bytes(Encoding.DER)).decode()
            for cert in (self.leaf, self.intermediate, self.root)
        ]
        return jwt.encode(payload, self.leaf_key, algorithm="ES256", headers={"x5c": x5c})


def make_chain(*, leaf_oid: bool = True, intermediate_oid: bool = True, name: str = "Test") -> AppleChain:
    """A fresh chain valid from yesterday for a year; without `leaf_oid` or `intermediate_oid` Apple's markers lack."""
    now = datetime.now(UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    intermediate_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{name} Root CA - G3")
    intermediate_name = _name(f"{name} WWDR Certification Authority")
    root = _certificate(
        subject=root_name, issuer=root_name, key=root_key, issuer_key=root_key, now=now, ca=True, path_length=None
    )
    intermediate = _certificate(
        subject=intermediate_name,
        issuer=root_name,
        key=intermediate_key,
        issuer_key=root_key,
        now=now,
        ca=True,
        path_length=0,
        marker=INTERMEDIATE_OID if intermediate_oid else None,
    )
    leaf = _certificate(
        subject=_name(f"{name} Prod ECC App Store Receipt Signing"),
        issuer=intermediate_name,
        key=leaf_key,
        issuer_key=intermediate_key,
        now=now,
        ca=False,
        marker=LEAF_OID if leaf_oid else None,
    )
    return AppleChain(root=root, intermediate=intermediate, leaf=leaf, leaf_key=leaf_key)


def milliseconds(moment: datetime) -> int:
    """An App Store timestamp: milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def transaction_payload(**overrides: Any) -> dict[str, Any]:
    """The decoded payload of a StoreKit 2 transaction of a 25-credit pack in Sandbox; `overrides` replace keys."""
    now = milliseconds(datetime.now(UTC))
    payload: dict[str, Any] = {
        "transactionId": "2000000123456789",
        "originalTransactionId": "2000000123456789",
        "bundleId": BUNDLE_ID,
        "productId": PACK_25,
        "purchaseDate": now - 5_000,
        "originalPurchaseDate": now - 5_000,
        "quantity": 1,
        "type": "Consumable",
        "inAppOwnershipType": "PURCHASED",
        "signedDate": now,
        "environment": "Sandbox",
        "transactionReason": "PURCHASE",
        "storefront": "USA",
        "storefrontId": "143441",
        "price": 4990,
        "currency": "USD",
    }
    payload.update(overrides)
    return payload


def notification_payload(
    notification_type: str, *, signed_transaction_info: str | None = None, subtype: str | None = None, **data: Any
) -> dict[str, Any]:
    """The decoded payload of an App Store Server Notification V2 in Sandbox; `data` replace keys of its data."""
    notification_data: dict[str, Any] = {
        "appAppleId": APP_APPLE_ID,
        "bundleId": BUNDLE_ID,
        "bundleVersion": "1",
        "environment": "Sandbox",
    }
    if signed_transaction_info is not None:
        notification_data["signedTransactionInfo"] = signed_transaction_info
    notification_data.update(data)
    payload: dict[str, Any] = {
        "notificationType": notification_type,
        "notificationUUID": str(uuid.uuid4()),
        "data": notification_data,
        "version": "2.0",
        "signedDate": milliseconds(datetime.now(UTC)),
    }
    if subtype is not None:
        payload["subtype"] = subtype
    return payload


def _name(common_name: str) -> x509.Name:
    """A certificate name like Apple's."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Test Certification Authority"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DirectorStudio Tests"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        ]
    )


def _certificate(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    now: datetime,
    ca: bool,
    path_length: int | None = None,
    marker: x509.ObjectIdentifier | None = None,
) -> x509.Certificate:
    """A certificate with what OpenSSL's strict mode asks for: key identifiers, usages, critical constraints."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if marker is not None:
        builder = builder.add_extension(x509.UnrecognizedExtension(marker, ASN1_NULL), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())
