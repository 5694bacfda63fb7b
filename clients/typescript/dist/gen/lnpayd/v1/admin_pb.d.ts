import type { GenEnum, GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { EventType, InvoiceSchema } from "./invoices_pb.js";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file lnpayd/v1/admin.proto.
 */
export declare const file_lnpayd_v1_admin: GenFile;
/**
 * GetStatus takes no parameters.
 *
 * @generated from message lnpayd.v1.GetStatusRequest
 */
export type GetStatusRequest = Message<"lnpayd.v1.GetStatusRequest"> & {};
/**
 * Describes the message lnpayd.v1.GetStatusRequest.
 * Use `create(GetStatusRequestSchema)` to create a new message.
 */
export declare const GetStatusRequestSchema: GenMessage<GetStatusRequest>;
/**
 * One provider's health, as GetStatus shows it.
 *
 * @generated from message lnpayd.v1.ProviderStatus
 */
export type ProviderStatus = Message<"lnpayd.v1.ProviderStatus"> & {
    /**
     * The provider's name in the configuration ("lnd", "daznode", "dev", ...).
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * Whether it can take new invoices now.
     *
     * @generated from field: bool online = 2;
     */
    online: boolean;
    /**
     * closed, open or half_open.
     *
     * @generated from field: string circuit = 3;
     */
    circuit: string;
    /**
     * Provider-specific connection state, e.g. the LND invoice stream.
     *
     * @generated from field: string connection = 4;
     */
    connection: string;
    /**
     * The latency of its last call.
     *
     * @generated from field: uint64 last_latency_ms = 5;
     */
    lastLatencyMs: bigint;
    /**
     * Median latency of its recent calls.
     *
     * @generated from field: uint64 latency_p50_ms = 6;
     */
    latencyP50Ms: bigint;
    /**
     * 95th percentile latency of its recent calls.
     *
     * @generated from field: uint64 latency_p95_ms = 7;
     */
    latencyP95Ms: bigint;
    /**
     * When its health was last checked.
     *
     * @generated from field: google.protobuf.Timestamp last_check_at = 8;
     */
    lastCheckAt?: Timestamp | undefined;
    /**
     * Its newest error; empty while it is healthy.
     *
     * @generated from field: string last_error = 9;
     */
    lastError: string;
    /**
     * Free-form facts: node alias, block height, network.
     *
     * @generated from field: map<string, string> details = 10;
     */
    details: {
        [key: string]: string;
    };
};
/**
 * Describes the message lnpayd.v1.ProviderStatus.
 * Use `create(ProviderStatusSchema)` to create a new message.
 */
export declare const ProviderStatusSchema: GenMessage<ProviderStatus>;
/**
 * The daemon's state, for operators and their monitoring.
 *
 * @generated from message lnpayd.v1.GetStatusResponse
 */
export type GetStatusResponse = Message<"lnpayd.v1.GetStatusResponse"> & {
    /**
     * lnpayd's version.
     *
     * @generated from field: string version = 1;
     */
    version: string;
    /**
     * See OverallHealth.
     *
     * @generated from field: lnpayd.v1.OverallHealth health = 2;
     */
    health: OverallHealth;
    /**
     * Each configured provider.
     *
     * @generated from field: repeated lnpayd.v1.ProviderStatus providers = 3;
     */
    providers: ProviderStatus[];
    /**
     * The provider new invoices go to now; empty when none can serve.
     *
     * @generated from field: string serving_provider = 4;
     */
    servingProvider: string;
    /**
     * Whether the dev provider is on (--dev).
     *
     * @generated from field: bool dev_mode = 5;
     */
    devMode: boolean;
    /**
     * The sequence of the newest durable event.
     *
     * @generated from field: uint64 last_event_sequence = 6;
     */
    lastEventSequence: bigint;
    /**
     * When this process started.
     *
     * @generated from field: google.protobuf.Timestamp started_at = 7;
     */
    startedAt?: Timestamp | undefined;
    /**
     * Whether the store can write. While it cannot, health is DOWN and
     * grpc.health.v1 says NOT_SERVING; both recover by themselves once a
     * flush reaches the disk again (a failing store retries every 2 s). sled
     * keeps a real I/O error until the daemon restarts.
     *
     * @generated from field: lnpayd.v1.StoreStatus store = 8;
     */
    store?: StoreStatus | undefined;
    /**
     * Each exchange-rate source behind fiat prices; empty without fiat products.
     *
     * @generated from field: repeated lnpayd.v1.RateSourceStatus rate_sources = 9;
     */
    rateSources: RateSourceStatus[];
    /**
     * Each webhook endpoint's backlog and last error.
     *
     * @generated from field: repeated lnpayd.v1.WebhookEndpointStatus webhooks = 20;
     */
    webhooks: WebhookEndpointStatus[];
    /**
     * This instance and the leader, as this instance last saw them.
     *
     * @generated from field: lnpayd.v1.ClusterStatus cluster = 21;
     */
    cluster?: ClusterStatus | undefined;
};
/**
 * Describes the message lnpayd.v1.GetStatusResponse.
 * Use `create(GetStatusResponseSchema)` to create a new message.
 */
export declare const GetStatusResponseSchema: GenMessage<GetStatusResponse>;
/**
 * This instance's place in the cluster and who leads it (GetStatus.cluster).
 *
 * @generated from message lnpayd.v1.ClusterStatus
 */
export type ClusterStatus = Message<"lnpayd.v1.ClusterStatus"> & {
    /**
     * cluster.instance_id, or <hostname>-<pid> when it is not set.
     *
     * @generated from field: string instance_id = 1;
     */
    instanceId: string;
    /**
     * Whether this instance leads, follows, or cannot tell yet.
     *
     * @generated from field: lnpayd.v1.ClusterRole role = 2;
     */
    role: ClusterRole;
    /**
     * The lease holder's instance_id; empty before any instance took the lease.
     *
     * @generated from field: string leader_id = 3;
     */
    leaderId: string;
    /**
     * When the leader took the lease (the start of its epoch).
     *
     * @generated from field: google.protobuf.Timestamp leader_since = 4;
     */
    leaderSince?: Timestamp | undefined;
    /**
     * Incremented at each takeover; every write the leader makes is fenced
     * with it. 0 with sled.
     *
     * @generated from field: uint64 leader_epoch = 5;
     */
    leaderEpoch: bigint;
};
/**
 * Describes the message lnpayd.v1.ClusterStatus.
 * Use `create(ClusterStatusSchema)` to create a new message.
 */
export declare const ClusterStatusSchema: GenMessage<ClusterStatus>;
/**
 * One exchange-rate source's state.
 *
 * @generated from message lnpayd.v1.RateSourceStatus
 */
export type RateSourceStatus = Message<"lnpayd.v1.RateSourceStatus"> & {
    /**
     * kraken, coinbase or bitstamp.
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * Whether its last fetch succeeded.
     *
     * @generated from field: bool ok = 2;
     */
    ok: boolean;
    /**
     * Its last successful fetch.
     *
     * @generated from field: google.protobuf.Timestamp last_success_at = 3;
     */
    lastSuccessAt?: Timestamp | undefined;
    /**
     * The newest failure, while it is failing.
     *
     * @generated from field: string last_error = 4;
     */
    lastError: string;
    /**
     * Its last quote per currency ("EUR" -> "61234.50").
     *
     * @generated from field: map<string, string> last_rates = 5;
     */
    lastRates: {
        [key: string]: string;
    };
};
/**
 * Describes the message lnpayd.v1.RateSourceStatus.
 * Use `create(RateSourceStatusSchema)` to create a new message.
 */
export declare const RateSourceStatusSchema: GenMessage<RateSourceStatus>;
/**
 * ListProducts takes no parameters.
 *
 * @generated from message lnpayd.v1.ListProductsRequest
 */
export type ListProductsRequest = Message<"lnpayd.v1.ListProductsRequest"> & {};
/**
 * Describes the message lnpayd.v1.ListProductsRequest.
 * Use `create(ListProductsRequestSchema)` to create a new message.
 */
export declare const ListProductsRequestSchema: GenMessage<ListProductsRequest>;
/**
 * One product of the operator's catalog ([[products]] in config.toml).
 *
 * @generated from message lnpayd.v1.Product
 */
export type Product = Message<"lnpayd.v1.Product"> & {
    /**
     * Its id, as CreateInvoiceRequest.product_id names it.
     *
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * Its name; an invoice's description unless the request gives one.
     *
     * @generated from field: string name = 2;
     */
    name: string;
    /**
     * Its description from the configuration.
     *
     * @generated from field: string description = 3;
     */
    description: string;
    /**
     * The operator's metadata from the configuration.
     *
     * @generated from field: map<string, string> metadata = 4;
     */
    metadata: {
        [key: string]: string;
    };
    /**
     * Exactly one.
     *
     * @generated from oneof lnpayd.v1.Product.price
     */
    price: {
        /**
         * A fixed price in satoshis.
         *
         * @generated from field: uint64 amount_sat = 5;
         */
        value: bigint;
        case: "amountSat";
    } | {
        /**
         * A fiat price, converted at the current rate when an invoice is created.
         *
         * @generated from field: lnpayd.v1.FiatPrice fiat = 6;
         */
        value: FiatPrice;
        case: "fiat";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message lnpayd.v1.Product.
 * Use `create(ProductSchema)` to create a new message.
 */
export declare const ProductSchema: GenMessage<Product>;
/**
 * A fiat price, converted to satoshis when an invoice is created.
 *
 * @generated from message lnpayd.v1.FiatPrice
 */
export type FiatPrice = Message<"lnpayd.v1.FiatPrice"> & {
    /**
     * A decimal string with at most two decimals ("49.00").
     *
     * @generated from field: string amount = 1;
     */
    amount: string;
    /**
     * ISO 4217, upper case ("EUR").
     *
     * @generated from field: string currency = 2;
     */
    currency: string;
};
/**
 * Describes the message lnpayd.v1.FiatPrice.
 * Use `create(FiatPriceSchema)` to create a new message.
 */
export declare const FiatPriceSchema: GenMessage<FiatPrice>;
/**
 * The catalog as loaded.
 *
 * @generated from message lnpayd.v1.ListProductsResponse
 */
export type ListProductsResponse = Message<"lnpayd.v1.ListProductsResponse"> & {
    /**
     * Every product.
     *
     * @generated from field: repeated lnpayd.v1.Product products = 1;
     */
    products: Product[];
};
/**
 * Describes the message lnpayd.v1.ListProductsResponse.
 * Use `create(ListProductsResponseSchema)` to create a new message.
 */
export declare const ListProductsResponseSchema: GenMessage<ListProductsResponse>;
/**
 * The store's health, as GetStatus shows it.
 *
 * @generated from message lnpayd.v1.StoreStatus
 */
export type StoreStatus = Message<"lnpayd.v1.StoreStatus"> & {
    /**
     * See StoreState.
     *
     * @generated from field: lnpayd.v1.StoreState state = 1;
     */
    state: StoreState;
    /**
     * Set while FAILING: when the failure began, and the newest error.
     *
     * @generated from field: google.protobuf.Timestamp failing_since = 2;
     */
    failingSince?: Timestamp | undefined;
    /**
     * The newest store error while FAILING; empty while OK.
     *
     * @generated from field: string last_error = 3;
     */
    lastError: string;
};
/**
 * Describes the message lnpayd.v1.StoreStatus.
 * Use `create(StoreStatusSchema)` to create a new message.
 */
export declare const StoreStatusSchema: GenMessage<StoreStatus>;
/**
 * Which dev invoice SimulatePayment pays, and how much.
 *
 * @generated from message lnpayd.v1.SimulatePaymentRequest
 */
export type SimulatePaymentRequest = Message<"lnpayd.v1.SimulatePaymentRequest"> & {
    /**
     * lnpayd's invoice id; the invoice must be the dev provider's.
     *
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * 0 means the invoice amount.
     *
     * @generated from field: uint64 amount_msat = 2;
     */
    amountMsat: bigint;
};
/**
 * Describes the message lnpayd.v1.SimulatePaymentRequest.
 * Use `create(SimulatePaymentRequestSchema)` to create a new message.
 */
export declare const SimulatePaymentRequestSchema: GenMessage<SimulatePaymentRequest>;
/**
 * An audit log page request; every filter that is set must match.
 *
 * @generated from message lnpayd.v1.ListAuditLogRequest
 */
export type ListAuditLogRequest = Message<"lnpayd.v1.ListAuditLogRequest"> & {
    /**
     * Only this invoice's entries, when set.
     *
     * @generated from field: string invoice_id = 1;
     */
    invoiceId: string;
    /**
     * Only this provider's entries, when set.
     *
     * @generated from field: string provider = 2;
     */
    provider: string;
    /**
     * Inclusive lower bound.
     *
     * @generated from field: google.protobuf.Timestamp since = 3;
     */
    since?: Timestamp | undefined;
    /**
     * Exclusive upper bound.
     *
     * @generated from field: google.protobuf.Timestamp until = 4;
     */
    until?: Timestamp | undefined;
    /**
     * 0 means 100; at most 1000.
     *
     * @generated from field: uint32 page_size = 5;
     */
    pageSize: number;
    /**
     * From a previous ListAuditLogResponse.
     *
     * @generated from field: string page_token = 6;
     */
    pageToken: string;
};
/**
 * Describes the message lnpayd.v1.ListAuditLogRequest.
 * Use `create(ListAuditLogRequestSchema)` to create a new message.
 */
export declare const ListAuditLogRequestSchema: GenMessage<ListAuditLogRequest>;
/**
 * One audit log entry.
 *
 * @generated from message lnpayd.v1.AuditEntry
 */
export type AuditEntry = Message<"lnpayd.v1.AuditEntry"> & {
    /**
     * When it happened.
     *
     * @generated from field: google.protobuf.Timestamp at = 1;
     */
    at?: Timestamp | undefined;
    /**
     * provider_call or status_change.
     *
     * @generated from field: string kind = 2;
     */
    kind: string;
    /**
     * The invoice concerned, when there is one.
     *
     * @generated from field: string invoice_id = 3;
     */
    invoiceId: string;
    /**
     * The provider called, or the one that issued the invoice.
     *
     * @generated from field: string provider = 4;
     */
    provider: string;
    /**
     * create_invoice, cancel_invoice, created, paid, expired, canceled, ...
     *
     * @generated from field: string action = 5;
     */
    action: string;
    /**
     * "ok", "error: ...", "settled via stream", "settled via reconcile", ...
     *
     * @generated from field: string outcome = 6;
     */
    outcome: string;
    /**
     * How long a provider call took.
     *
     * @generated from field: uint64 duration_ms = 7;
     */
    durationMs: bigint;
    /**
     * The x-request-id of the gRPC call that caused it, when one did.
     *
     * @generated from field: string request_id = 8;
     */
    requestId: string;
};
/**
 * Describes the message lnpayd.v1.AuditEntry.
 * Use `create(AuditEntrySchema)` to create a new message.
 */
export declare const AuditEntrySchema: GenMessage<AuditEntry>;
/**
 * A page of audit entries, newest first.
 *
 * @generated from message lnpayd.v1.ListAuditLogResponse
 */
export type ListAuditLogResponse = Message<"lnpayd.v1.ListAuditLogResponse"> & {
    /**
     * At most page_size.
     *
     * @generated from field: repeated lnpayd.v1.AuditEntry entries = 1;
     */
    entries: AuditEntry[];
    /**
     * Empty on the last page.
     *
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message lnpayd.v1.ListAuditLogResponse.
 * Use `create(ListAuditLogResponseSchema)` to create a new message.
 */
export declare const ListAuditLogResponseSchema: GenMessage<ListAuditLogResponse>;
/**
 * The window GetProviderMetrics reports on.
 *
 * @generated from message lnpayd.v1.GetProviderMetricsRequest
 */
export type GetProviderMetricsRequest = Message<"lnpayd.v1.GetProviderMetricsRequest"> & {
    /**
     * 0 means 86400 (a day). Kept in memory since the daemon started.
     *
     * @generated from field: uint32 window_seconds = 1;
     */
    windowSeconds: number;
};
/**
 * Describes the message lnpayd.v1.GetProviderMetricsRequest.
 * Use `create(GetProviderMetricsRequestSchema)` to create a new message.
 */
export declare const GetProviderMetricsRequestSchema: GenMessage<GetProviderMetricsRequest>;
/**
 * One provider's metrics over the window.
 *
 * @generated from message lnpayd.v1.ProviderMetrics
 */
export type ProviderMetrics = Message<"lnpayd.v1.ProviderMetrics"> & {
    /**
     * The provider's name in the configuration.
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * Share of health checks in the window that found it up; 0 without checks.
     *
     * @generated from field: double uptime_percent = 2;
     */
    uptimePercent: number;
    /**
     * Health checks in the window.
     *
     * @generated from field: uint32 health_checks = 3;
     */
    healthChecks: number;
    /**
     * Calls of every kind in the window (creates, cancels, health checks).
     *
     * @generated from field: uint64 calls = 4;
     */
    calls: bigint;
    /**
     * Share of calls that succeeded, 0..1.
     *
     * @generated from field: double success_rate = 5;
     */
    successRate: number;
    /**
     * Mean latency of the calls in the window.
     *
     * @generated from field: double avg_latency_ms = 6;
     */
    avgLatencyMs: number;
    /**
     * Median latency of the calls in the window.
     *
     * @generated from field: uint64 latency_p50_ms = 7;
     */
    latencyP50Ms: bigint;
    /**
     * 95th percentile latency of the calls in the window.
     *
     * @generated from field: uint64 latency_p95_ms = 8;
     */
    latencyP95Ms: bigint;
    /**
     * 99th percentile latency of the calls in the window.
     *
     * @generated from field: uint64 latency_p99_ms = 9;
     */
    latencyP99Ms: bigint;
    /**
     * timeout, unavailable, rejected, mismatch, circuit_open.
     *
     * @generated from field: map<string, uint64> errors_by_kind = 10;
     */
    errorsByKind: {
        [key: string]: bigint;
    };
    /**
     * Invoices this provider issued in the last hour and the last day.
     *
     * @generated from field: uint64 invoices_last_hour = 11;
     */
    invoicesLastHour: bigint;
    /**
     * Invoices this provider issued in the last day.
     *
     * @generated from field: uint64 invoices_last_day = 12;
     */
    invoicesLastDay: bigint;
};
/**
 * Describes the message lnpayd.v1.ProviderMetrics.
 * Use `create(ProviderMetricsSchema)` to create a new message.
 */
export declare const ProviderMetricsSchema: GenMessage<ProviderMetrics>;
/**
 * Every provider's metrics over one window.
 *
 * @generated from message lnpayd.v1.GetProviderMetricsResponse
 */
export type GetProviderMetricsResponse = Message<"lnpayd.v1.GetProviderMetricsResponse"> & {
    /**
     * The window, in seconds (the request's, or the default).
     *
     * @generated from field: uint32 window_seconds = 1;
     */
    windowSeconds: number;
    /**
     * Each configured provider.
     *
     * @generated from field: repeated lnpayd.v1.ProviderMetrics providers = 2;
     */
    providers: ProviderMetrics[];
};
/**
 * Describes the message lnpayd.v1.GetProviderMetricsResponse.
 * Use `create(GetProviderMetricsResponseSchema)` to create a new message.
 */
export declare const GetProviderMetricsResponseSchema: GenMessage<GetProviderMetricsResponse>;
/**
 * A webhook endpoint: where lnpayd POSTs the event log, and how that goes.
 *
 * @generated from message lnpayd.v1.WebhookEndpoint
 */
export type WebhookEndpoint = Message<"lnpayd.v1.WebhookEndpoint"> & {
    /**
     * ep_ and 32 hex digits, or the id given in config.toml.
     *
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * Where the events are POSTed.
     *
     * @generated from field: string url = 2;
     */
    url: string;
    /**
     * Empty means every type.
     *
     * @generated from field: repeated lnpayd.v1.EventType event_types = 3;
     */
    eventTypes: EventType[];
    /**
     * Free text for the operator.
     *
     * @generated from field: string description = 4;
     */
    description: string;
    /**
     * Whether events are delivered; a disabled endpoint keeps its cursor.
     *
     * @generated from field: bool enabled = 5;
     */
    enabled: boolean;
    /**
     * Set when lnpayd disabled it: "failing_too_long".
     *
     * @generated from field: string disabled_reason = 6;
     */
    disabledReason: string;
    /**
     * Declared in config.toml: changed there, not over gRPC.
     *
     * @generated from field: bool from_config = 7;
     */
    fromConfig: boolean;
    /**
     * When it was created.
     *
     * @generated from field: google.protobuf.Timestamp created_at = 8;
     */
    createdAt?: Timestamp | undefined;
    /**
     * When it was last changed.
     *
     * @generated from field: google.protobuf.Timestamp updated_at = 9;
     */
    updatedAt?: Timestamp | undefined;
    /**
     * While set and in the future, the previous secret still signs too.
     *
     * @generated from field: google.protobuf.Timestamp previous_secret_expires_at = 10;
     */
    previousSecretExpiresAt?: Timestamp | undefined;
    /**
     * Age of the oldest event not yet delivered; 0 when none waits.
     *
     * @generated from field: uint64 backlog_seconds = 11;
     */
    backlogSeconds: bigint;
    /**
     * The last failed attempt's outcome ("HTTP 500", "timeout", ...).
     *
     * @generated from field: string last_error = 12;
     */
    lastError: string;
    /**
     * The first failed attempt since the last success; unset while healthy.
     *
     * @generated from field: google.protobuf.Timestamp failing_since = 13;
     */
    failingSince?: Timestamp | undefined;
    /**
     * The last successful delivery.
     *
     * @generated from field: google.protobuf.Timestamp last_success_at = 14;
     */
    lastSuccessAt?: Timestamp | undefined;
};
/**
 * Describes the message lnpayd.v1.WebhookEndpoint.
 * Use `create(WebhookEndpointSchema)` to create a new message.
 */
export declare const WebhookEndpointSchema: GenMessage<WebhookEndpoint>;
/**
 * An endpoint's line in GetStatus.
 *
 * @generated from message lnpayd.v1.WebhookEndpointStatus
 */
export type WebhookEndpointStatus = Message<"lnpayd.v1.WebhookEndpointStatus"> & {
    /**
     * The endpoint's id.
     *
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * Whether events are delivered.
     *
     * @generated from field: bool enabled = 2;
     */
    enabled: boolean;
    /**
     * Age of the oldest event not yet delivered; 0 when none waits.
     *
     * @generated from field: uint64 backlog_seconds = 3;
     */
    backlogSeconds: bigint;
    /**
     * The last failed attempt's outcome; empty while healthy.
     *
     * @generated from field: string last_error = 4;
     */
    lastError: string;
};
/**
 * Describes the message lnpayd.v1.WebhookEndpointStatus.
 * Use `create(WebhookEndpointStatusSchema)` to create a new message.
 */
export declare const WebhookEndpointStatusSchema: GenMessage<WebhookEndpointStatus>;
/**
 * A new webhook endpoint.
 *
 * @generated from message lnpayd.v1.CreateWebhookEndpointRequest
 */
export type CreateWebhookEndpointRequest = Message<"lnpayd.v1.CreateWebhookEndpointRequest"> & {
    /**
     * https://, or http:// to a loopback host (--dev) or with webhooks.allow_http.
     *
     * @generated from field: string url = 1;
     */
    url: string;
    /**
     * Empty means every type.
     *
     * @generated from field: repeated lnpayd.v1.EventType event_types = 2;
     */
    eventTypes: EventType[];
    /**
     * Free text for the operator.
     *
     * @generated from field: string description = 3;
     */
    description: string;
};
/**
 * Describes the message lnpayd.v1.CreateWebhookEndpointRequest.
 * Use `create(CreateWebhookEndpointRequestSchema)` to create a new message.
 */
export declare const CreateWebhookEndpointRequestSchema: GenMessage<CreateWebhookEndpointRequest>;
/**
 * The new endpoint and its signing secret.
 *
 * @generated from message lnpayd.v1.CreateWebhookEndpointResponse
 */
export type CreateWebhookEndpointResponse = Message<"lnpayd.v1.CreateWebhookEndpointResponse"> & {
    /**
     * The endpoint as stored.
     *
     * @generated from field: lnpayd.v1.WebhookEndpoint endpoint = 1;
     */
    endpoint?: WebhookEndpoint | undefined;
    /**
     * whsec_ + base64 of 32 random bytes; not shown again.
     *
     * @generated from field: string secret = 2;
     */
    secret: string;
};
/**
 * Describes the message lnpayd.v1.CreateWebhookEndpointResponse.
 * Use `create(CreateWebhookEndpointResponseSchema)` to create a new message.
 */
export declare const CreateWebhookEndpointResponseSchema: GenMessage<CreateWebhookEndpointResponse>;
/**
 * ListWebhookEndpoints takes no parameters.
 *
 * @generated from message lnpayd.v1.ListWebhookEndpointsRequest
 */
export type ListWebhookEndpointsRequest = Message<"lnpayd.v1.ListWebhookEndpointsRequest"> & {};
/**
 * Describes the message lnpayd.v1.ListWebhookEndpointsRequest.
 * Use `create(ListWebhookEndpointsRequestSchema)` to create a new message.
 */
export declare const ListWebhookEndpointsRequestSchema: GenMessage<ListWebhookEndpointsRequest>;
/**
 * Every webhook endpoint.
 *
 * @generated from message lnpayd.v1.ListWebhookEndpointsResponse
 */
export type ListWebhookEndpointsResponse = Message<"lnpayd.v1.ListWebhookEndpointsResponse"> & {
    /**
     * Every endpoint.
     *
     * @generated from field: repeated lnpayd.v1.WebhookEndpoint endpoints = 1;
     */
    endpoints: WebhookEndpoint[];
};
/**
 * Describes the message lnpayd.v1.ListWebhookEndpointsResponse.
 * Use `create(ListWebhookEndpointsResponseSchema)` to create a new message.
 */
export declare const ListWebhookEndpointsResponseSchema: GenMessage<ListWebhookEndpointsResponse>;
/**
 * Which endpoint GetWebhookEndpoint reads.
 *
 * @generated from message lnpayd.v1.GetWebhookEndpointRequest
 */
export type GetWebhookEndpointRequest = Message<"lnpayd.v1.GetWebhookEndpointRequest"> & {
    /**
     * The endpoint's id.
     *
     * @generated from field: string id = 1;
     */
    id: string;
};
/**
 * Describes the message lnpayd.v1.GetWebhookEndpointRequest.
 * Use `create(GetWebhookEndpointRequestSchema)` to create a new message.
 */
export declare const GetWebhookEndpointRequestSchema: GenMessage<GetWebhookEndpointRequest>;
/**
 * The types to deliver, as one value (so that "every type" can be set).
 *
 * @generated from message lnpayd.v1.WebhookEventTypes
 */
export type WebhookEventTypes = Message<"lnpayd.v1.WebhookEventTypes"> & {
    /**
     * Empty means every type.
     *
     * @generated from field: repeated lnpayd.v1.EventType types = 1;
     */
    types: EventType[];
};
/**
 * Describes the message lnpayd.v1.WebhookEventTypes.
 * Use `create(WebhookEventTypesSchema)` to create a new message.
 */
export declare const WebhookEventTypesSchema: GenMessage<WebhookEventTypes>;
/**
 * The changes UpdateWebhookEndpoint makes; fields left unset are kept.
 *
 * @generated from message lnpayd.v1.UpdateWebhookEndpointRequest
 */
export type UpdateWebhookEndpointRequest = Message<"lnpayd.v1.UpdateWebhookEndpointRequest"> & {
    /**
     * The endpoint's id.
     *
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * Each field that is set replaces the endpoint's.
     *
     * @generated from field: optional string url = 2;
     */
    url?: string | undefined;
    /**
     * Replaces the event types when set.
     *
     * @generated from field: lnpayd.v1.WebhookEventTypes event_types = 3;
     */
    eventTypes?: WebhookEventTypes | undefined;
    /**
     * Disables or enables delivery.
     *
     * @generated from field: optional bool enabled = 4;
     */
    enabled?: boolean | undefined;
    /**
     * Replaces the description.
     *
     * @generated from field: optional string description = 5;
     */
    description?: string | undefined;
};
/**
 * Describes the message lnpayd.v1.UpdateWebhookEndpointRequest.
 * Use `create(UpdateWebhookEndpointRequestSchema)` to create a new message.
 */
export declare const UpdateWebhookEndpointRequestSchema: GenMessage<UpdateWebhookEndpointRequest>;
/**
 * Which endpoint DeleteWebhookEndpoint deletes.
 *
 * @generated from message lnpayd.v1.DeleteWebhookEndpointRequest
 */
export type DeleteWebhookEndpointRequest = Message<"lnpayd.v1.DeleteWebhookEndpointRequest"> & {
    /**
     * The endpoint's id.
     *
     * @generated from field: string id = 1;
     */
    id: string;
};
/**
 * Describes the message lnpayd.v1.DeleteWebhookEndpointRequest.
 * Use `create(DeleteWebhookEndpointRequestSchema)` to create a new message.
 */
export declare const DeleteWebhookEndpointRequestSchema: GenMessage<DeleteWebhookEndpointRequest>;
/**
 * DeleteWebhookEndpoint returns nothing else.
 *
 * @generated from message lnpayd.v1.DeleteWebhookEndpointResponse
 */
export type DeleteWebhookEndpointResponse = Message<"lnpayd.v1.DeleteWebhookEndpointResponse"> & {};
/**
 * Describes the message lnpayd.v1.DeleteWebhookEndpointResponse.
 * Use `create(DeleteWebhookEndpointResponseSchema)` to create a new message.
 */
export declare const DeleteWebhookEndpointResponseSchema: GenMessage<DeleteWebhookEndpointResponse>;
/**
 * Which endpoint RotateWebhookSecret gives a new secret.
 *
 * @generated from message lnpayd.v1.RotateWebhookSecretRequest
 */
export type RotateWebhookSecretRequest = Message<"lnpayd.v1.RotateWebhookSecretRequest"> & {
    /**
     * The endpoint's id.
     *
     * @generated from field: string id = 1;
     */
    id: string;
};
/**
 * Describes the message lnpayd.v1.RotateWebhookSecretRequest.
 * Use `create(RotateWebhookSecretRequestSchema)` to create a new message.
 */
export declare const RotateWebhookSecretRequestSchema: GenMessage<RotateWebhookSecretRequest>;
/**
 * The endpoint and its new secret.
 *
 * @generated from message lnpayd.v1.RotateWebhookSecretResponse
 */
export type RotateWebhookSecretResponse = Message<"lnpayd.v1.RotateWebhookSecretResponse"> & {
    /**
     * The endpoint as stored, previous_secret_expires_at set.
     *
     * @generated from field: lnpayd.v1.WebhookEndpoint endpoint = 1;
     */
    endpoint?: WebhookEndpoint | undefined;
    /**
     * The new secret; not shown again.
     *
     * @generated from field: string secret = 2;
     */
    secret: string;
};
/**
 * Describes the message lnpayd.v1.RotateWebhookSecretResponse.
 * Use `create(RotateWebhookSecretResponseSchema)` to create a new message.
 */
export declare const RotateWebhookSecretResponseSchema: GenMessage<RotateWebhookSecretResponse>;
/**
 * One POST of a delivery.
 *
 * @generated from message lnpayd.v1.WebhookAttempt
 */
export type WebhookAttempt = Message<"lnpayd.v1.WebhookAttempt"> & {
    /**
     * 1-based, over the delivery's life.
     *
     * @generated from field: uint32 number = 1;
     */
    number: number;
    /**
     * When it was sent.
     *
     * @generated from field: google.protobuf.Timestamp at = 2;
     */
    at?: Timestamp | undefined;
    /**
     * 0 when no HTTP response came.
     *
     * @generated from field: uint32 http_status = 3;
     */
    httpStatus: number;
    /**
     * Empty on success; "HTTP 500", "timeout", "connection: ...", "refused: ...".
     *
     * @generated from field: string error = 4;
     */
    error: string;
    /**
     * How long the POST took.
     *
     * @generated from field: uint64 duration_ms = 5;
     */
    durationMs: bigint;
    /**
     * When the next attempt is due; unset when this one settled the delivery.
     *
     * @generated from field: google.protobuf.Timestamp next_attempt_at = 6;
     */
    nextAttemptAt?: Timestamp | undefined;
};
/**
 * Describes the message lnpayd.v1.WebhookAttempt.
 * Use `create(WebhookAttemptSchema)` to create a new message.
 */
export declare const WebhookAttemptSchema: GenMessage<WebhookAttempt>;
/**
 * One event's delivery to one endpoint, with every attempt.
 *
 * @generated from message lnpayd.v1.WebhookDelivery
 */
export type WebhookDelivery = Message<"lnpayd.v1.WebhookDelivery"> & {
    /**
     * The endpoint's id.
     *
     * @generated from field: string endpoint_id = 1;
     */
    endpointId: string;
    /**
     * The event's sequence in the log.
     *
     * @generated from field: uint64 sequence = 2;
     */
    sequence: bigint;
    /**
     * The webhook-id header: the same on every attempt.
     *
     * @generated from field: string webhook_id = 3;
     */
    webhookId: string;
    /**
     * The event's type.
     *
     * @generated from field: lnpayd.v1.EventType event_type = 4;
     */
    eventType: EventType;
    /**
     * The invoice the event is about.
     *
     * @generated from field: string invoice_id = 5;
     */
    invoiceId: string;
    /**
     * See WebhookDeliveryState.
     *
     * @generated from field: lnpayd.v1.WebhookDeliveryState state = 6;
     */
    state: WebhookDeliveryState;
    /**
     * When the next attempt is due; unset once delivered or failed.
     *
     * @generated from field: google.protobuf.Timestamp next_attempt_at = 7;
     */
    nextAttemptAt?: Timestamp | undefined;
    /**
     * Oldest first.
     *
     * @generated from field: repeated lnpayd.v1.WebhookAttempt attempts = 8;
     */
    attempts: WebhookAttempt[];
};
/**
 * Describes the message lnpayd.v1.WebhookDelivery.
 * Use `create(WebhookDeliverySchema)` to create a new message.
 */
export declare const WebhookDeliverySchema: GenMessage<WebhookDelivery>;
/**
 * A delivery log page request.
 *
 * @generated from message lnpayd.v1.ListWebhookDeliveriesRequest
 */
export type ListWebhookDeliveriesRequest = Message<"lnpayd.v1.ListWebhookDeliveriesRequest"> & {
    /**
     * Each filter that is set must match.
     *
     * @generated from field: string endpoint_id = 1;
     */
    endpointId: string;
    /**
     * 0 means any event.
     *
     * @generated from field: uint64 sequence = 2;
     */
    sequence: bigint;
    /**
     * Only this invoice's events, when set.
     *
     * @generated from field: string invoice_id = 3;
     */
    invoiceId: string;
    /**
     * UNSPECIFIED means any state.
     *
     * @generated from field: lnpayd.v1.WebhookDeliveryState state = 4;
     */
    state: WebhookDeliveryState;
    /**
     * 0 means 50; at most 500.
     *
     * @generated from field: uint32 page_size = 5;
     */
    pageSize: number;
    /**
     * From a previous ListWebhookDeliveriesResponse.
     *
     * @generated from field: string page_token = 6;
     */
    pageToken: string;
};
/**
 * Describes the message lnpayd.v1.ListWebhookDeliveriesRequest.
 * Use `create(ListWebhookDeliveriesRequestSchema)` to create a new message.
 */
export declare const ListWebhookDeliveriesRequestSchema: GenMessage<ListWebhookDeliveriesRequest>;
/**
 * A page of the delivery log.
 *
 * @generated from message lnpayd.v1.ListWebhookDeliveriesResponse
 */
export type ListWebhookDeliveriesResponse = Message<"lnpayd.v1.ListWebhookDeliveriesResponse"> & {
    /**
     * Newest event first (per endpoint).
     *
     * @generated from field: repeated lnpayd.v1.WebhookDelivery deliveries = 1;
     */
    deliveries: WebhookDelivery[];
    /**
     * Empty on the last page.
     *
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message lnpayd.v1.ListWebhookDeliveriesResponse.
 * Use `create(ListWebhookDeliveriesResponseSchema)` to create a new message.
 */
export declare const ListWebhookDeliveriesResponseSchema: GenMessage<ListWebhookDeliveriesResponse>;
/**
 * What RedeliverWebhook sends again.
 *
 * @generated from message lnpayd.v1.RedeliverWebhookRequest
 */
export type RedeliverWebhookRequest = Message<"lnpayd.v1.RedeliverWebhookRequest"> & {
    /**
     * The endpoint's id.
     *
     * @generated from field: string endpoint_id = 1;
     */
    endpointId: string;
    /**
     * Exactly one.
     *
     * @generated from oneof lnpayd.v1.RedeliverWebhookRequest.target
     */
    target: {
        /**
         * One event's delivery, whatever its state.
         *
         * @generated from field: uint64 sequence = 2;
         */
        value: bigint;
        case: "sequence";
    } | {
        /**
         * Every failed delivery of an event that occurred at or after this time.
         *
         * @generated from field: google.protobuf.Timestamp failed_since = 3;
         */
        value: Timestamp;
        case: "failedSince";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message lnpayd.v1.RedeliverWebhookRequest.
 * Use `create(RedeliverWebhookRequestSchema)` to create a new message.
 */
export declare const RedeliverWebhookRequestSchema: GenMessage<RedeliverWebhookRequest>;
/**
 * How many deliveries RedeliverWebhook scheduled.
 *
 * @generated from message lnpayd.v1.RedeliverWebhookResponse
 */
export type RedeliverWebhookResponse = Message<"lnpayd.v1.RedeliverWebhookResponse"> & {
    /**
     * Deliveries scheduled again.
     *
     * @generated from field: uint32 scheduled = 1;
     */
    scheduled: number;
};
/**
 * Describes the message lnpayd.v1.RedeliverWebhookResponse.
 * Use `create(RedeliverWebhookResponseSchema)` to create a new message.
 */
export declare const RedeliverWebhookResponseSchema: GenMessage<RedeliverWebhookResponse>;
/**
 * The daemon's health as a whole, from its providers (and the store).
 *
 * @generated from enum lnpayd.v1.OverallHealth
 */
export declare enum OverallHealth {
    /**
     * Never sent.
     *
     * @generated from enum value: OVERALL_HEALTH_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Every provider can take new invoices.
     *
     * @generated from enum value: OVERALL_HEALTH_HEALTHY = 1;
     */
    HEALTHY = 1,
    /**
     * Some can, some cannot: invoices go to those that can.
     *
     * @generated from enum value: OVERALL_HEALTH_DEGRADED = 2;
     */
    DEGRADED = 2,
    /**
     * None can (or the store cannot write): CreateInvoice fails.
     *
     * @generated from enum value: OVERALL_HEALTH_DOWN = 3;
     */
    DOWN = 3
}
/**
 * Describes the enum lnpayd.v1.OverallHealth.
 */
export declare const OverallHealthSchema: GenEnum<OverallHealth>;
/**
 * What this instance does in a cluster of instances sharing one store.
 *
 * @generated from enum lnpayd.v1.ClusterRole
 */
export declare enum ClusterRole {
    /**
     * Never sent.
     *
     * @generated from enum value: CLUSTER_ROLE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Runs the provider watchers, the expiry timer, webhook delivery and
     * pruning, and serves the API. With sled there is one instance: the leader.
     *
     * @generated from enum value: CLUSTER_ROLE_LEADER = 1;
     */
    LEADER = 1,
    /**
     * Serves the API (creates, cancels, reads, event streams) and takes over
     * when the leader's lease runs out.
     *
     * @generated from enum value: CLUSTER_ROLE_FOLLOWER = 2;
     */
    FOLLOWER = 2,
    /**
     * The database has not answered since this instance started.
     *
     * @generated from enum value: CLUSTER_ROLE_UNKNOWN = 3;
     */
    UNKNOWN = 3
}
/**
 * Describes the enum lnpayd.v1.ClusterRole.
 */
export declare const ClusterRoleSchema: GenEnum<ClusterRole>;
/**
 * Whether the store can write.
 *
 * @generated from enum lnpayd.v1.StoreState
 */
export declare enum StoreState {
    /**
     * Never sent.
     *
     * @generated from enum value: STORE_STATE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Writes and flushes succeed.
     *
     * @generated from enum value: STORE_STATE_OK = 1;
     */
    OK = 1,
    /**
     * Writes or flushes fail (e.g. a full disk): every write is refused with
     * INTERNAL until one succeeds again.
     *
     * @generated from enum value: STORE_STATE_FAILING = 2;
     */
    FAILING = 2
}
/**
 * Describes the enum lnpayd.v1.StoreState.
 */
export declare const StoreStateSchema: GenEnum<StoreState>;
/**
 * Where one delivery (an endpoint, an event) stands.
 *
 * @generated from enum lnpayd.v1.WebhookDeliveryState
 */
export declare enum WebhookDeliveryState {
    /**
     * Never sent; as a filter, any state.
     *
     * @generated from enum value: WEBHOOK_DELIVERY_STATE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Waiting for its next attempt.
     *
     * @generated from enum value: WEBHOOK_DELIVERY_STATE_PENDING = 1;
     */
    PENDING = 1,
    /**
     * An attempt got a 2xx answer.
     *
     * @generated from enum value: WEBHOOK_DELIVERY_STATE_DELIVERED = 2;
     */
    DELIVERED = 2,
    /**
     * Every scheduled attempt failed; RedeliverWebhook tries again.
     *
     * @generated from enum value: WEBHOOK_DELIVERY_STATE_FAILED = 3;
     */
    FAILED = 3
}
/**
 * Describes the enum lnpayd.v1.WebhookDeliveryState.
 */
export declare const WebhookDeliveryStateSchema: GenEnum<WebhookDeliveryState>;
/**
 * Admin is for operators. It needs the admin token.
 *
 * @generated from service lnpayd.v1.Admin
 */
export declare const Admin: GenService<{
    /**
     * The daemon's state and each provider's health.
     *
     * @generated from rpc lnpayd.v1.Admin.GetStatus
     */
    getStatus: {
        methodKind: "unary";
        input: typeof GetStatusRequestSchema;
        output: typeof GetStatusResponseSchema;
    };
    /**
     * Settles a dev-provider invoice through the normal settlement path.
     * Refused for invoices of any other provider.
     *
     * @generated from rpc lnpayd.v1.Admin.SimulatePayment
     */
    simulatePayment: {
        methodKind: "unary";
        input: typeof SimulatePaymentRequestSchema;
        output: typeof InvoiceSchema;
    };
    /**
     * Per provider over a window: uptime, latency percentiles, success rate,
     * errors by kind, invoice volume.
     *
     * @generated from rpc lnpayd.v1.Admin.GetProviderMetrics
     */
    getProviderMetrics: {
        methodKind: "unary";
        input: typeof GetProviderMetricsRequestSchema;
        output: typeof GetProviderMetricsResponseSchema;
    };
    /**
     * The audit log, newest first: every provider call and status change.
     *
     * @generated from rpc lnpayd.v1.Admin.ListAuditLog
     */
    listAuditLog: {
        methodKind: "unary";
        input: typeof ListAuditLogRequestSchema;
        output: typeof ListAuditLogResponseSchema;
    };
    /**
     * The product catalog as loaded from the configuration (reloaded on SIGHUP).
     *
     * @generated from rpc lnpayd.v1.Admin.ListProducts
     */
    listProducts: {
        methodKind: "unary";
        input: typeof ListProductsRequestSchema;
        output: typeof ListProductsResponseSchema;
    };
    /**
     * Webhooks: each endpoint receives the event log as signed POSTs
     * (Standard Webhooks), with its own durable cursor and retry schedule.
     * Creates an endpoint; it receives the events that happen from now on.
     * The response holds its secret, shown this once.
     *
     * @generated from rpc lnpayd.v1.Admin.CreateWebhookEndpoint
     */
    createWebhookEndpoint: {
        methodKind: "unary";
        input: typeof CreateWebhookEndpointRequestSchema;
        output: typeof CreateWebhookEndpointResponseSchema;
    };
    /**
     * Every endpoint, the ones from config.toml included.
     *
     * @generated from rpc lnpayd.v1.Admin.ListWebhookEndpoints
     */
    listWebhookEndpoints: {
        methodKind: "unary";
        input: typeof ListWebhookEndpointsRequestSchema;
        output: typeof ListWebhookEndpointsResponseSchema;
    };
    /**
     * One endpoint, by id.
     *
     * @generated from rpc lnpayd.v1.Admin.GetWebhookEndpoint
     */
    getWebhookEndpoint: {
        methodKind: "unary";
        input: typeof GetWebhookEndpointRequestSchema;
        output: typeof WebhookEndpointSchema;
    };
    /**
     * Changes the fields that are set. Enabling resumes delivery from where the
     * endpoint stopped: nothing that happened meanwhile is skipped.
     *
     * @generated from rpc lnpayd.v1.Admin.UpdateWebhookEndpoint
     */
    updateWebhookEndpoint: {
        methodKind: "unary";
        input: typeof UpdateWebhookEndpointRequestSchema;
        output: typeof WebhookEndpointSchema;
    };
    /**
     * Deletes the endpoint and its delivery log.
     *
     * @generated from rpc lnpayd.v1.Admin.DeleteWebhookEndpoint
     */
    deleteWebhookEndpoint: {
        methodKind: "unary";
        input: typeof DeleteWebhookEndpointRequestSchema;
        output: typeof DeleteWebhookEndpointResponseSchema;
    };
    /**
     * A new secret; the old one keeps signing (both signatures are sent) for
     * webhooks.secret_overlap_secs (24 h by default).
     *
     * @generated from rpc lnpayd.v1.Admin.RotateWebhookSecret
     */
    rotateWebhookSecret: {
        methodKind: "unary";
        input: typeof RotateWebhookSecretRequestSchema;
        output: typeof RotateWebhookSecretResponseSchema;
    };
    /**
     * The delivery log: one entry per (endpoint, event) with every attempt.
     *
     * @generated from rpc lnpayd.v1.Admin.ListWebhookDeliveries
     */
    listWebhookDeliveries: {
        methodKind: "unary";
        input: typeof ListWebhookDeliveriesRequestSchema;
        output: typeof ListWebhookDeliveriesResponseSchema;
    };
    /**
     * Delivers again, now, with a fresh retry schedule and the same webhook-id.
     *
     * @generated from rpc lnpayd.v1.Admin.RedeliverWebhook
     */
    redeliverWebhook: {
        methodKind: "unary";
        input: typeof RedeliverWebhookRequestSchema;
        output: typeof RedeliverWebhookResponseSchema;
    };
}>;
