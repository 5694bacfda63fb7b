use super::*;

fn limits() -> Limits {
    Limits {
        max_amount_sat: 1_000_000,
        default_expiry_secs: 3600,
        min_expiry_secs: 60,
        max_expiry_secs: 86_400,
    }
}

fn ok_params() -> CreateParams {
    CreateParams {
        amount_sat: Some(10),
        description: Some("coffee".into()),
        ..Default::default()
    }
}

fn reason(p: CreateParams) -> Reason {
    validate_new_invoice(p, &limits()).unwrap_err().reason
}

#[test]
fn normalises_sat_to_msat_and_defaults_expiry() {
    let n = validate_new_invoice(ok_params(), &limits()).unwrap();
    assert_eq!(n.amount_msat, 10_000);
    assert_eq!(n.expiry_secs, 3600);
}

#[test]
fn amount_rules() {
    assert_eq!(
        reason(CreateParams {
            amount_sat: None,
            ..ok_params()
        }),
        Reason::AmountRequired
    );
    assert_eq!(
        reason(CreateParams {
            amount_sat: Some(0),
            ..ok_params()
        }),
        Reason::AmountNotPositive
    );
    assert_eq!(
        reason(CreateParams {
            amount_sat: Some(1_000_001),
            ..ok_params()
        }),
        Reason::AmountTooLarge
    );
    assert_eq!(
        reason(CreateParams {
            amount_sat: Some(u64::MAX),
            ..ok_params()
        }),
        Reason::AmountTooLarge
    );
    let at_max = CreateParams {
        amount_sat: None,
        amount_msat: Some(1_000_000_000),
        ..ok_params()
    };
    assert!(validate_new_invoice(at_max, &limits()).is_ok());
}

#[test]
fn description_rules() {
    let long = "é".repeat(320); // 640 bytes, 320 characters
    assert_eq!(
        reason(CreateParams {
            description: Some(long),
            ..ok_params()
        }),
        Reason::DescriptionTooLong
    );
    assert_eq!(
        reason(CreateParams {
            description: Some("a\u{7}b".into()),
            ..ok_params()
        }),
        Reason::DescriptionControlCharacters
    );
    assert_eq!(
        reason(CreateParams {
            description: Some(String::new()),
            ..ok_params()
        }),
        Reason::DescriptionEmpty
    );
    assert_eq!(
        reason(CreateParams {
            description: None,
            ..ok_params()
        }),
        Reason::DescriptionRequired
    );
    let short_hash = CreateParams {
        description: None,
        description_hash: Some(vec![0; 31]),
        ..ok_params()
    };
    assert_eq!(reason(short_hash), Reason::DescriptionHashLength);
}

#[test]
fn fingerprint_ignores_the_key_but_not_the_parameters() {
    let a = validate_new_invoice(
        CreateParams {
            idempotency_key: "k1".into(),
            ..ok_params()
        },
        &limits(),
    )
    .unwrap();
    let b = validate_new_invoice(
        CreateParams {
            idempotency_key: "k2".into(),
            ..ok_params()
        },
        &limits(),
    )
    .unwrap();
    let c = validate_new_invoice(
        CreateParams {
            amount_sat: Some(11),
            ..ok_params()
        },
        &limits(),
    )
    .unwrap();
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_ne!(a.fingerprint(), c.fingerprint());
}

#[test]
fn email_rules() {
    let with = |e: &str| CreateParams {
        customer_email: Some(e.into()),
        ..ok_params()
    };
    assert!(validate_new_invoice(with("ada@example.org"), &limits()).is_ok());
    for bad in [
        "ada",
        "ada@",
        "@example.org",
        "ada@localhost",
        "a b@example.org",
        "\"a\"@example.org",
    ] {
        assert_eq!(reason(with(bad)), Reason::EmailInvalid, "{bad}");
    }
}
