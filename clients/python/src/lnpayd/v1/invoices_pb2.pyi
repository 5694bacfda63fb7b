import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InvoiceStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVOICE_STATUS_UNSPECIFIED: _ClassVar[InvoiceStatus]
    INVOICE_STATUS_PENDING: _ClassVar[InvoiceStatus]
    INVOICE_STATUS_PAID: _ClassVar[InvoiceStatus]
    INVOICE_STATUS_EXPIRED: _ClassVar[InvoiceStatus]
    INVOICE_STATUS_CANCELED: _ClassVar[InvoiceStatus]

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    EVENT_TYPE_INVOICE_CREATED: _ClassVar[EventType]
    EVENT_TYPE_INVOICE_PAID: _ClassVar[EventType]
    EVENT_TYPE_INVOICE_EXPIRED: _ClassVar[EventType]
    EVENT_TYPE_INVOICE_CANCELED: _ClassVar[EventType]
INVOICE_STATUS_UNSPECIFIED: InvoiceStatus
INVOICE_STATUS_PENDING: InvoiceStatus
INVOICE_STATUS_PAID: InvoiceStatus
INVOICE_STATUS_EXPIRED: InvoiceStatus
INVOICE_STATUS_CANCELED: InvoiceStatus
EVENT_TYPE_UNSPECIFIED: EventType
EVENT_TYPE_INVOICE_CREATED: EventType
EVENT_TYPE_INVOICE_PAID: EventType
EVENT_TYPE_INVOICE_EXPIRED: EventType
EVENT_TYPE_INVOICE_CANCELED: EventType

class CreateInvoiceRequest(_message.Message):
    __slots__ = ("amount_sat", "amount_msat", "description", "description_hash", "expiry_seconds", "metadata", "idempotency_key", "external_ref", "customer_email", "product_id", "quantity", "success_url")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    AMOUNT_SAT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MSAT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_HASH_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_REF_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_URL_FIELD_NUMBER: _ClassVar[int]
    amount_sat: int
    amount_msat: int
    description: str
    description_hash: bytes
    expiry_seconds: int
    metadata: _containers.ScalarMap[str, str]
    idempotency_key: str
    external_ref: str
    customer_email: str
    product_id: str
    quantity: int
    success_url: str
    def __init__(self, amount_sat: _Optional[int] = ..., amount_msat: _Optional[int] = ..., description: _Optional[str] = ..., description_hash: _Optional[bytes] = ..., expiry_seconds: _Optional[int] = ..., metadata: _Optional[_Mapping[str, str]] = ..., idempotency_key: _Optional[str] = ..., external_ref: _Optional[str] = ..., customer_email: _Optional[str] = ..., product_id: _Optional[str] = ..., quantity: _Optional[int] = ..., success_url: _Optional[str] = ...) -> None: ...

class Invoice(_message.Message):
    __slots__ = ("id", "payment_request", "payment_hash", "amount_msat", "amount_received_msat", "description", "description_hash", "status", "provider", "created_at", "expires_at", "paid_at", "metadata", "external_ref", "customer_email", "paid_late", "updated_at", "lightning_uri", "checkout_url", "product_id", "quantity", "fiat_amount", "fiat_currency", "exchange_rate", "rate_source", "success_url")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REQUEST_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_HASH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MSAT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_RECEIVED_MSAT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    PAID_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_REF_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    PAID_LATE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LIGHTNING_URI_FIELD_NUMBER: _ClassVar[int]
    CHECKOUT_URL_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    FIAT_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FIAT_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_RATE_FIELD_NUMBER: _ClassVar[int]
    RATE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_URL_FIELD_NUMBER: _ClassVar[int]
    id: str
    payment_request: str
    payment_hash: str
    amount_msat: int
    amount_received_msat: int
    description: str
    description_hash: str
    status: InvoiceStatus
    provider: str
    created_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    paid_at: _timestamp_pb2.Timestamp
    metadata: _containers.ScalarMap[str, str]
    external_ref: str
    customer_email: str
    paid_late: bool
    updated_at: _timestamp_pb2.Timestamp
    lightning_uri: str
    checkout_url: str
    product_id: str
    quantity: int
    fiat_amount: str
    fiat_currency: str
    exchange_rate: str
    rate_source: str
    success_url: str
    def __init__(self, id: _Optional[str] = ..., payment_request: _Optional[str] = ..., payment_hash: _Optional[str] = ..., amount_msat: _Optional[int] = ..., amount_received_msat: _Optional[int] = ..., description: _Optional[str] = ..., description_hash: _Optional[str] = ..., status: _Optional[_Union[InvoiceStatus, str]] = ..., provider: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paid_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., external_ref: _Optional[str] = ..., customer_email: _Optional[str] = ..., paid_late: _Optional[bool] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lightning_uri: _Optional[str] = ..., checkout_url: _Optional[str] = ..., product_id: _Optional[str] = ..., quantity: _Optional[int] = ..., fiat_amount: _Optional[str] = ..., fiat_currency: _Optional[str] = ..., exchange_rate: _Optional[str] = ..., rate_source: _Optional[str] = ..., success_url: _Optional[str] = ...) -> None: ...

class GetInvoiceRequest(_message.Message):
    __slots__ = ("id", "payment_hash", "external_ref")
    ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_HASH_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_REF_FIELD_NUMBER: _ClassVar[int]
    id: str
    payment_hash: str
    external_ref: str
    def __init__(self, id: _Optional[str] = ..., payment_hash: _Optional[str] = ..., external_ref: _Optional[str] = ...) -> None: ...

class ListInvoicesRequest(_message.Message):
    __slots__ = ("status", "created_after", "created_before", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: InvoiceStatus
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[InvoiceStatus, str]] = ..., created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInvoicesResponse(_message.Message):
    __slots__ = ("invoices", "next_page_token")
    INVOICES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    invoices: _containers.RepeatedCompositeFieldContainer[Invoice]
    next_page_token: str
    def __init__(self, invoices: _Optional[_Iterable[_Union[Invoice, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelInvoiceRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class WaitInvoiceRequest(_message.Message):
    __slots__ = ("id", "timeout_seconds")
    ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    timeout_seconds: int
    def __init__(self, id: _Optional[str] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class SubscribeEventsRequest(_message.Message):
    __slots__ = ("after_sequence", "types", "invoice_id")
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    types: _containers.RepeatedScalarFieldContainer[EventType]
    invoice_id: str
    def __init__(self, after_sequence: _Optional[int] = ..., types: _Optional[_Iterable[_Union[EventType, str]]] = ..., invoice_id: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("sequence", "type", "occurred_at", "invoice")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    INVOICE_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    type: EventType
    occurred_at: _timestamp_pb2.Timestamp
    invoice: Invoice
    def __init__(self, sequence: _Optional[int] = ..., type: _Optional[_Union[EventType, str]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., invoice: _Optional[_Union[Invoice, _Mapping]] = ...) -> None: ...
