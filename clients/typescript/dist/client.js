import { createClient } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { LnpaydError } from "./error.js";
import { Invoices } from "./gen/lnpayd/v1/invoices_pb.js";
import { Admin } from "./gen/lnpayd/v1/admin_pb.js";
import { follow } from "./follow.js";
/** A client for one lnpayd daemon; share it, it multiplexes one connection. */
export function createLnpaydClient(options) {
    const baseUrl = /^[a-z]+:\/\//i.test(options.address)
        ? options.address
        : `http://${options.address}`;
    const authorization = `Bearer ${options.token}`;
    const auth = (next) => (req) => {
        req.header.set("authorization", authorization);
        return next(req);
    };
    const sessionManager = new Http2SessionManager(baseUrl, {
        pingIntervalMs: options.pingIntervalMs ?? 30_000,
    });
    const transport = createGrpcTransport({
        baseUrl,
        sessionManager,
        interceptors: [auth],
        defaultTimeoutMs: options.defaultTimeoutMs,
    });
    const invoices = withLnpaydErrors(createClient(Invoices, transport), Invoices);
    const admin = withLnpaydErrors(createClient(Admin, transport), Admin);
    return {
        invoices,
        admin,
        follow: (afterSequence, onEvent, opts) => follow(invoices, afterSequence, onEvent, opts),
        close: () => sessionManager.abort(),
    };
}
/** The same client, with every error turned into an LnpaydError. */
function withLnpaydErrors(client, service) {
    const wrapped = {};
    for (const method of service.methods) {
        const call = client[method.localName];
        wrapped[method.localName] =
            method.methodKind === "server_streaming"
                ? (...args) => rethrowing(call(...args))
                : async (...args) => {
                    try {
                        return await call(...args);
                    }
                    catch (e) {
                        throw LnpaydError.from(e);
                    }
                };
    }
    return wrapped;
}
async function* rethrowing(stream) {
    try {
        yield* stream;
    }
    catch (e) {
        throw LnpaydError.from(e);
    }
}
