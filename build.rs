use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_build::configure()
        // The descriptor set feeds server reflection, so grpcurl needs no .proto files.
        .file_descriptor_set_path(out.join("lnpayd_descriptor.bin"))
        .compile_protos(
            &[
                "proto/lnpayd/v1/invoices.proto",
                "proto/lnpayd/v1/admin.proto",
                "proto/lnpayd/v1/errors.proto",
                // Not used from Rust (tonic-types has them): compiled only so
                // reflection can describe the details in an error, and
                // grpcurl prints ErrorInfo instead of raw bytes.
                "proto/google/rpc/status.proto",
                "proto/google/rpc/error_details.proto",
            ],
            &["proto"],
        )?;
    // The store's on-disk records: messages only, and kept out of the
    // descriptor set above, so reflection does not offer them.
    tonic_build::configure()
        .build_client(false)
        .build_server(false)
        .compile_protos(&["proto/lnpayd/store/v1/records.proto"], &["proto"])?;
    println!("cargo:rerun-if-changed=proto");
    external_lnd();
    Ok(())
}

/// `external_lnd` when the LND tests are pointed at existing nodes (a Polar
/// network; see tests/regtest/README.md): the tests that must restart alice
/// are then built as ignored, and `cargo test` says so.
fn external_lnd() {
    println!("cargo::rustc-check-cfg=cfg(external_lnd)");
    let vars = ["LNPAYD_TEST_ALICE_RPC", "LNPAYD_TEST_BOB_RPC"];
    for v in vars {
        println!("cargo:rerun-if-env-changed={v}");
    }
    if vars.iter().all(|v| std::env::var_os(v).is_some()) {
        println!("cargo:rustc-cfg=external_lnd");
    }
}
