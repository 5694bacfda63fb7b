import type { GenEnum, GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file lnpayd/v1/invoices.proto.
 */
export declare const file_lnpayd_v1_invoices: GenFile;
/**
 * What CreateInvoice needs: an amount (or a product), and a description
 * (or its hash).
 *
 * @generated from message lnpayd.v1.CreateInvoiceRequest
 */
export type CreateInvoiceRequest = Message<"lnpayd.v1.CreateInvoiceRequest"> & {
    /**
     * Exactly one, unless product_id is set (then neither).
     *
     * @generated from oneof lnpayd.v1.CreateInvoiceRequest.amount
     */
    amount: {
        /**
         * Whole satoshis.
         *
         * @generated from field: uint64 amount_sat = 1;
         */
        value: bigint;
        case: "amountSat";
    } | {
        /**
         * Millisatoshis, for amounts below a satoshi's precision.
         *
         * @generated from field: uint64 amount_msat = 2;
         */
        value: bigint;
        case: "amountMsat";
    } | {
        case: undefined;
        value?: undefined;
    };
    /**
     * Exactly one: the BOLT11 description or its hash.
     *
     * @generated from oneof lnpayd.v1.CreateInvoiceRequest.memo
     */
    memo: {
        /**
         * Shown to the payer; 1..639 bytes of UTF-8 without control characters.
         *
         * @generated from field: string description = 3;
         */
        value: string;
        case: "description";
    } | {
        /**
         * SHA-256 of a description kept elsewhere (32 bytes).
         *
         * @generated from field: bytes description_hash = 4;
         */
        value: Uint8Array;
        case: "descriptionHash";
    } | {
        case: undefined;
        value?: undefined;
    };
    /**
     * 0 means the configured default.
     *
     * @generated from field: uint32 expiry_seconds = 5;
     */
    expirySeconds: number;
    /**
     * At most 50 keys; keys at most 40 characters, values at most 500.
     *
     * @generated from field: map<string, string> metadata = 6;
     */
    metadata: {
        [key: string]: string;
    };
    /**
     * At most 255 characters. Kept at least 24 hours.
     *
     * @generated from field: string idempotency_key = 7;
     */
    idempotencyKey: string;
    /**
     * The caller's own reference (an order id, say); at most 255 characters.
     *
     * @generated from field: string external_ref = 8;
     */
    externalRef: string;
    /**
     * A contact for the payer, kept with the invoice (not in the BOLT11).
     *
     * @generated from field: optional string customer_email = 9;
     */
    customerEmail?: string | undefined;
    /**
     * A product of the operator's catalog ([[products]] in the config): the
     * amount comes from its price (converted from fiat at the current rate),
     * and its name is the description unless one is given. Exclusive with amount;
     * an unknown id is NOT_FOUND PRODUCT_NOT_FOUND.
     *
     * @generated from field: string product_id = 10;
     */
    productId: string;
    /**
     * How many of product_id; 0 means 1, at most 1000.
     *
     * @generated from field: uint32 quantity = 11;
     */
    quantity: number;
    /**
     * Where the hosted checkout page sends the payer once paid. Its origin must
     * be listed in checkout.allowed_redirect_origins.
     *
     * @generated from field: string success_url = 12;
     */
    successUrl: string;
};
/**
 * Describes the message lnpayd.v1.CreateInvoiceRequest.
 * Use `create(CreateInvoiceRequestSchema)` to create a new message.
 */
export declare const CreateInvoiceRequestSchema: GenMessage<CreateInvoiceRequest>;
/**
 * A Lightning invoice as lnpayd stores it.
 *
 * @generated from message lnpayd.v1.Invoice
 */
export type Invoice = Message<"lnpayd.v1.Invoice"> & {
    /**
     * Opaque, unguessable, sorts by creation time.
     *
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * The BOLT11 invoice to show the payer.
     *
     * @generated from field: string payment_request = 2;
     */
    paymentRequest: string;
    /**
     * Hex.
     *
     * @generated from field: string payment_hash = 3;
     */
    paymentHash: string;
    /**
     * The amount asked, in millisatoshis.
     *
     * @generated from field: uint64 amount_msat = 4;
     */
    amountMsat: bigint;
    /**
     * The amount paid, in millisatoshis; 0 until PAID.
     *
     * @generated from field: uint64 amount_received_msat = 5;
     */
    amountReceivedMsat: bigint;
    /**
     * The BOLT11 description; empty when the invoice commits to a hash.
     *
     * @generated from field: string description = 6;
     */
    description: string;
    /**
     * Hex; set when the invoice commits to a description hash.
     *
     * @generated from field: string description_hash = 7;
     */
    descriptionHash: string;
    /**
     * Where the invoice is in its life; see InvoiceStatus.
     *
     * @generated from field: lnpayd.v1.InvoiceStatus status = 8;
     */
    status: InvoiceStatus;
    /**
     * The provider that issued it and settles it: "lnd", "daznode" or "dev".
     *
     * @generated from field: string provider = 9;
     */
    provider: string;
    /**
     * When lnpayd created it.
     *
     * @generated from field: google.protobuf.Timestamp created_at = 10;
     */
    createdAt?: Timestamp | undefined;
    /**
     * When it stops being payable.
     *
     * @generated from field: google.protobuf.Timestamp expires_at = 11;
     */
    expiresAt?: Timestamp | undefined;
    /**
     * When it was paid; unset until PAID.
     *
     * @generated from field: google.protobuf.Timestamp paid_at = 12;
     */
    paidAt?: Timestamp | undefined;
    /**
     * The caller's metadata from CreateInvoice, returned as given.
     *
     * @generated from field: map<string, string> metadata = 13;
     */
    metadata: {
        [key: string]: string;
    };
    /**
     * The caller's external_ref from CreateInvoice.
     *
     * @generated from field: string external_ref = 14;
     */
    externalRef: string;
    /**
     * The customer_email from CreateInvoice; empty without one.
     *
     * @generated from field: string customer_email = 15;
     */
    customerEmail: string;
    /**
     * Paid after expires_at: the money arrived, so the invoice is PAID all the same.
     *
     * @generated from field: bool paid_late = 16;
     */
    paidLate: boolean;
    /**
     * When its status last changed.
     *
     * @generated from field: google.protobuf.Timestamp updated_at = 17;
     */
    updatedAt?: Timestamp | undefined;
    /**
     * "lightning:" and the upper-cased payment_request (upper case makes a
     * smaller QR code: the alphanumeric mode).
     *
     * @generated from field: string lightning_uri = 18;
     */
    lightningUri: string;
    /**
     * The hosted payment page; empty unless [checkout] is configured.
     *
     * @generated from field: string checkout_url = 19;
     */
    checkoutUrl: string;
    /**
     * Set when the invoice was created from the catalog.
     *
     * @generated from field: string product_id = 20;
     */
    productId: string;
    /**
     * How many of product_id; 0 without a product.
     *
     * @generated from field: uint32 quantity = 21;
     */
    quantity: number;
    /**
     * The price in fiat ("49.00") and its ISO 4217 currency, for a product
     * priced in fiat; empty otherwise.
     *
     * @generated from field: string fiat_amount = 22;
     */
    fiatAmount: string;
    /**
     * ISO 4217, with fiat_amount.
     *
     * @generated from field: string fiat_currency = 23;
     */
    fiatCurrency: string;
    /**
     * The BTC price in fiat_currency used for the conversion ("61234.50"),
     * and where it came from ("median of kraken, coinbase").
     *
     * @generated from field: string exchange_rate = 24;
     */
    exchangeRate: string;
    /**
     * Where exchange_rate came from.
     *
     * @generated from field: string rate_source = 25;
     */
    rateSource: string;
    /**
     * The success_url from CreateInvoice, where the checkout page sends the payer.
     *
     * @generated from field: string success_url = 26;
     */
    successUrl: string;
};
/**
 * Describes the message lnpayd.v1.Invoice.
 * Use `create(InvoiceSchema)` to create a new message.
 */
export declare const InvoiceSchema: GenMessage<Invoice>;
/**
 * Which invoice GetInvoice reads.
 *
 * @generated from message lnpayd.v1.GetInvoiceRequest
 */
export type GetInvoiceRequest = Message<"lnpayd.v1.GetInvoiceRequest"> & {
    /**
     * Exactly one.
     *
     * @generated from oneof lnpayd.v1.GetInvoiceRequest.lookup
     */
    lookup: {
        /**
         * lnpayd's invoice id.
         *
         * @generated from field: string id = 1;
         */
        value: string;
        case: "id";
    } | {
        /**
         * The payment hash, hex.
         *
         * @generated from field: string payment_hash = 2;
         */
        value: string;
        case: "paymentHash";
    } | {
        /**
         * The caller's external_ref: the newest invoice with it.
         *
         * @generated from field: string external_ref = 3;
         */
        value: string;
        case: "externalRef";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message lnpayd.v1.GetInvoiceRequest.
 * Use `create(GetInvoiceRequestSchema)` to create a new message.
 */
export declare const GetInvoiceRequestSchema: GenMessage<GetInvoiceRequest>;
/**
 * A ListInvoices page request; every filter that is set must match.
 *
 * @generated from message lnpayd.v1.ListInvoicesRequest
 */
export type ListInvoicesRequest = Message<"lnpayd.v1.ListInvoicesRequest"> & {
    /**
     * UNSPECIFIED lists every status.
     *
     * @generated from field: lnpayd.v1.InvoiceStatus status = 1;
     */
    status: InvoiceStatus;
    /**
     * Inclusive lower bound on created_at.
     *
     * @generated from field: google.protobuf.Timestamp created_after = 2;
     */
    createdAfter?: Timestamp | undefined;
    /**
     * Exclusive upper bound on created_at.
     *
     * @generated from field: google.protobuf.Timestamp created_before = 3;
     */
    createdBefore?: Timestamp | undefined;
    /**
     * 0 means 50; at most 500.
     *
     * @generated from field: uint32 page_size = 4;
     */
    pageSize: number;
    /**
     * From a previous ListInvoicesResponse.
     *
     * @generated from field: string page_token = 5;
     */
    pageToken: string;
};
/**
 * Describes the message lnpayd.v1.ListInvoicesRequest.
 * Use `create(ListInvoicesRequestSchema)` to create a new message.
 */
export declare const ListInvoicesRequestSchema: GenMessage<ListInvoicesRequest>;
/**
 * A page of invoices, newest first.
 *
 * @generated from message lnpayd.v1.ListInvoicesResponse
 */
export type ListInvoicesResponse = Message<"lnpayd.v1.ListInvoicesResponse"> & {
    /**
     * At most page_size.
     *
     * @generated from field: repeated lnpayd.v1.Invoice invoices = 1;
     */
    invoices: Invoice[];
    /**
     * Empty on the last page.
     *
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message lnpayd.v1.ListInvoicesResponse.
 * Use `create(ListInvoicesResponseSchema)` to create a new message.
 */
export declare const ListInvoicesResponseSchema: GenMessage<ListInvoicesResponse>;
/**
 * Which invoice CancelInvoice cancels.
 *
 * @generated from message lnpayd.v1.CancelInvoiceRequest
 */
export type CancelInvoiceRequest = Message<"lnpayd.v1.CancelInvoiceRequest"> & {
    /**
     * lnpayd's invoice id.
     *
     * @generated from field: string id = 1;
     */
    id: string;
};
/**
 * Describes the message lnpayd.v1.CancelInvoiceRequest.
 * Use `create(CancelInvoiceRequestSchema)` to create a new message.
 */
export declare const CancelInvoiceRequestSchema: GenMessage<CancelInvoiceRequest>;
/**
 * Which invoice WaitInvoice waits for, and for how long.
 *
 * @generated from message lnpayd.v1.WaitInvoiceRequest
 */
export type WaitInvoiceRequest = Message<"lnpayd.v1.WaitInvoiceRequest"> & {
    /**
     * lnpayd's invoice id.
     *
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * 0 means the request deadline, or 60 s without one; at most 3600.
     *
     * @generated from field: uint32 timeout_seconds = 2;
     */
    timeoutSeconds: number;
};
/**
 * Describes the message lnpayd.v1.WaitInvoiceRequest.
 * Use `create(WaitInvoiceRequestSchema)` to create a new message.
 */
export declare const WaitInvoiceRequestSchema: GenMessage<WaitInvoiceRequest>;
/**
 * Where SubscribeEvents starts, and which events it sends.
 *
 * @generated from message lnpayd.v1.SubscribeEventsRequest
 */
export type SubscribeEventsRequest = Message<"lnpayd.v1.SubscribeEventsRequest"> & {
    /**
     * Replay starts at after_sequence + 1; 0 replays everything kept.
     *
     * @generated from field: uint64 after_sequence = 1;
     */
    afterSequence: bigint;
    /**
     * Empty means every type.
     *
     * @generated from field: repeated lnpayd.v1.EventType types = 2;
     */
    types: EventType[];
    /**
     * Only this invoice's events, when set.
     *
     * @generated from field: string invoice_id = 3;
     */
    invoiceId: string;
};
/**
 * Describes the message lnpayd.v1.SubscribeEventsRequest.
 * Use `create(SubscribeEventsRequestSchema)` to create a new message.
 */
export declare const SubscribeEventsRequestSchema: GenMessage<SubscribeEventsRequest>;
/**
 * One entry of the durable event log.
 *
 * @generated from message lnpayd.v1.Event
 */
export type Event = Message<"lnpayd.v1.Event"> & {
    /**
     * Gap-free and strictly increasing over the whole log (filtered streams skip numbers).
     *
     * @generated from field: uint64 sequence = 1;
     */
    sequence: bigint;
    /**
     * What happened.
     *
     * @generated from field: lnpayd.v1.EventType type = 2;
     */
    type: EventType;
    /**
     * When lnpayd recorded it.
     *
     * @generated from field: google.protobuf.Timestamp occurred_at = 3;
     */
    occurredAt?: Timestamp | undefined;
    /**
     * The invoice as it was right after this event.
     *
     * @generated from field: lnpayd.v1.Invoice invoice = 4;
     */
    invoice?: Invoice | undefined;
};
/**
 * Describes the message lnpayd.v1.Event.
 * Use `create(EventSchema)` to create a new message.
 */
export declare const EventSchema: GenMessage<Event>;
/**
 * An invoice's state. PENDING is the only state that changes: to PAID, EXPIRED
 * or CANCELED, each final (an expired invoice that is paid late becomes PAID).
 *
 * @generated from enum lnpayd.v1.InvoiceStatus
 */
export declare enum InvoiceStatus {
    /**
     * Never sent; as a ListInvoices filter, every status.
     *
     * @generated from enum value: INVOICE_STATUS_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Issued and payable until expires_at.
     *
     * @generated from enum value: INVOICE_STATUS_PENDING = 1;
     */
    PENDING = 1,
    /**
     * Paid: amount_received_msat and paid_at are set.
     *
     * @generated from enum value: INVOICE_STATUS_PAID = 2;
     */
    PAID = 2,
    /**
     * expires_at passed unpaid.
     *
     * @generated from enum value: INVOICE_STATUS_EXPIRED = 3;
     */
    EXPIRED = 3,
    /**
     * Canceled by CancelInvoice before it was paid.
     *
     * @generated from enum value: INVOICE_STATUS_CANCELED = 4;
     */
    CANCELED = 4
}
/**
 * Describes the enum lnpayd.v1.InvoiceStatus.
 */
export declare const InvoiceStatusSchema: GenEnum<InvoiceStatus>;
/**
 * What happened to an invoice: each status change is one event.
 *
 * @generated from enum lnpayd.v1.EventType
 */
export declare enum EventType {
    /**
     * Never sent; not a valid SubscribeEventsRequest.types value.
     *
     * @generated from enum value: EVENT_TYPE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * An invoice was created (PENDING).
     *
     * @generated from enum value: EVENT_TYPE_INVOICE_CREATED = 1;
     */
    INVOICE_CREATED = 1,
    /**
     * An invoice was paid (PAID), on time or late.
     *
     * @generated from enum value: EVENT_TYPE_INVOICE_PAID = 2;
     */
    INVOICE_PAID = 2,
    /**
     * An invoice expired unpaid (EXPIRED).
     *
     * @generated from enum value: EVENT_TYPE_INVOICE_EXPIRED = 3;
     */
    INVOICE_EXPIRED = 3,
    /**
     * An invoice was canceled (CANCELED).
     *
     * @generated from enum value: EVENT_TYPE_INVOICE_CANCELED = 4;
     */
    INVOICE_CANCELED = 4
}
/**
 * Describes the enum lnpayd.v1.EventType.
 */
export declare const EventTypeSchema: GenEnum<EventType>;
/**
 * Invoices is the service backends use. It needs the invoice token (or the admin token).
 *
 * @generated from service lnpayd.v1.Invoices
 */
export declare const Invoices: GenService<{
    /**
     * Creates a Lightning invoice on the provider that serves new invoices now.
     * With an idempotency_key, a retry with the same parameters returns the same invoice.
     *
     * @generated from rpc lnpayd.v1.Invoices.CreateInvoice
     */
    createInvoice: {
        methodKind: "unary";
        input: typeof CreateInvoiceRequestSchema;
        output: typeof InvoiceSchema;
    };
    /**
     * Reads one invoice by id, payment_hash or external_ref (the newest one with that ref).
     *
     * @generated from rpc lnpayd.v1.Invoices.GetInvoice
     */
    getInvoice: {
        methodKind: "unary";
        input: typeof GetInvoiceRequestSchema;
        output: typeof InvoiceSchema;
    };
    /**
     * Lists invoices, newest first.
     *
     * @generated from rpc lnpayd.v1.Invoices.ListInvoices
     */
    listInvoices: {
        methodKind: "unary";
        input: typeof ListInvoicesRequestSchema;
        output: typeof ListInvoicesResponseSchema;
    };
    /**
     * Cancels a pending invoice. A paid invoice cannot be canceled.
     *
     * @generated from rpc lnpayd.v1.Invoices.CancelInvoice
     */
    cancelInvoice: {
        methodKind: "unary";
        input: typeof CancelInvoiceRequestSchema;
        output: typeof InvoiceSchema;
    };
    /**
     * Returns when the invoice leaves PENDING, or with the invoice as it is when
     * the request deadline (or timeout_seconds) passes.
     *
     * @generated from rpc lnpayd.v1.Invoices.WaitInvoice
     */
    waitInvoice: {
        methodKind: "unary";
        input: typeof WaitInvoiceRequestSchema;
        output: typeof InvoiceSchema;
    };
    /**
     * Streams payment events in sequence order: first the stored events after
     * after_sequence, then live ones. Each event is delivered exactly once per
     * stream; reconnect with the last sequence you processed to miss nothing.
     *
     * @generated from rpc lnpayd.v1.Invoices.SubscribeEvents
     */
    subscribeEvents: {
        methodKind: "server_streaming";
        input: typeof SubscribeEventsRequestSchema;
        output: typeof EventSchema;
    };
}>;
