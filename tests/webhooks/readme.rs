//! The README's receivers are the files the tests run, verbatim.

#[test]
fn the_readme_shows_the_receivers_the_tests_run() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for file in [
        "tests/webhooks/receivers/node/route.ts",
        "tests/webhooks/receivers/python/receiver.py",
    ] {
        let code = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(
            readme.contains(&code),
            "README.md does not show {file} as it is"
        );
    }
}
