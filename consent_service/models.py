"""Every table of the service, imported in one place so Alembic and tests see them all."""

from consent_service.apikeys.models import ApiKey
from consent_service.audit.models import AuditEntry
from consent_service.banner.models import BannerVersion
from consent_service.consents.models import (
    ConsentEvent,
    ConsentState,
    IdempotencyRecord,
    LedgerMaintenance,
    RetiredChain,
)
from consent_service.console.models import ConsoleSessionRecord
from consent_service.frameworks.models import TCFVendorList
from consent_service.mail.models import OutgoingMail
from consent_service.notices.models import Notice
from consent_service.privacy_requests.models import PrivacyRequest, PrivacyRequestStep, PrivacyRequestSystem
from consent_service.properties.models import Property
from consent_service.purposes.models import Purpose
from consent_service.recipients.models import Recipient
from consent_service.reports.models import ConsentRollup
from consent_service.scanner.models import CookieDeclaration, Scan, ScanScreenshot
from consent_service.signing_keys.models import SigningKey
from consent_service.subjects.models import Subject, SubjectLink, Suppression
from consent_service.tokens.models import IssuedToken
from consent_service.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "ApiKey",
    "AuditEntry",
    "BannerVersion",
    "ConsentEvent",
    "ConsentRollup",
    "ConsentState",
    "ConsoleSessionRecord",
    "CookieDeclaration",
    "IdempotencyRecord",
    "IssuedToken",
    "LedgerMaintenance",
    "Notice",
    "OutgoingMail",
    "PrivacyRequest",
    "PrivacyRequestStep",
    "PrivacyRequestSystem",
    "Property",
    "Purpose",
    "Recipient",
    "RetiredChain",
    "Scan",
    "ScanScreenshot",
    "SigningKey",
    "Subject",
    "SubjectLink",
    "Suppression",
    "TCFVendorList",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
