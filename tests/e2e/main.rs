//! End-to-end tests: the real `lnpayd` binary in dev mode, spoken to over gRPC.

mod harness;

mod flow;
