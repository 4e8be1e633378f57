"""Every write of the complaints app. Import from here: ``from complaints.services import complaint_register``."""

from .contact import customer_contact_set
from .customers import CustomerInput, customer_find_or_create, customer_lookup_for_intake, customer_reveal
from .intake import IntakeKeyReused, complaint_link_repeat, complaint_register

__all__ = [
    "CustomerInput",
    "IntakeKeyReused",
    "complaint_link_repeat",
    "complaint_register",
    "customer_contact_set",
    "customer_find_or_create",
    "customer_lookup_for_intake",
    "customer_reveal",
]
