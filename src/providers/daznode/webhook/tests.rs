use super::*;

const HASH_A: &str = "aa00000000000000000000000000000000000000000000000000000000000000";
const HASH_B: &str = "bb00000000000000000000000000000000000000000000000000000000000000";

#[test]
fn a_token_is_valid_for_its_own_invoice_only() {
    let key = WebhookKey::from_bytes(&[7; 32]);
    let token = key.token(HASH_A);
    assert_eq!(token.len(), 64);
    assert!(key.verify(HASH_A, &token));
    assert!(!key.verify(HASH_B, &token));
    assert!(!key.verify(HASH_A, &token[..63]));
    assert!(!key.verify(HASH_A, ""));
    let mut flipped = token.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    assert!(!key.verify(HASH_A, std::str::from_utf8(&flipped).unwrap()));
    let other = WebhookKey::from_bytes(&[8; 32]);
    assert!(!other.verify(HASH_A, &token));
}

#[test]
fn the_key_is_created_once_private_and_reused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let first = WebhookKey::load_or_create(dir.path()).unwrap();
    let path = dir.path().join(KEY_FILE);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.len(), 32);
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let again = WebhookKey::load_or_create(dir.path()).unwrap();
    assert_eq!(first.token(HASH_A), again.token(HASH_A));
    let other_dir = tempfile::tempdir().unwrap();
    let other = WebhookKey::load_or_create(other_dir.path()).unwrap();
    assert_ne!(first.token(HASH_A), other.token(HASH_A));
}

#[test]
fn a_key_file_of_the_wrong_length_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(KEY_FILE), b"short").unwrap();
    let err = WebhookKey::load_or_create(dir.path()).unwrap_err();
    assert!(
        matches!(err, WebhookKeyError::Length { len: 5, .. }),
        "{err}"
    );
}

#[test]
fn one_lookup_per_invoice_per_window() {
    let limiter = LookupLimiter::new(Duration::from_secs(2));
    let t0 = Instant::now();
    assert!(limiter.allow(HASH_A, t0));
    assert!(!limiter.allow(HASH_A, t0 + Duration::from_millis(1_999)));
    assert!(limiter.allow(HASH_B, t0 + Duration::from_millis(10)));
    assert!(limiter.allow(HASH_A, t0 + Duration::from_secs(2)));
    assert!(!limiter.allow(HASH_A, t0 + Duration::from_millis(2_500)));
}

#[test]
fn the_body_is_read_encoded_twice_or_once() {
    let payment = serde_json::json!({"payment_hash": HASH_A.to_uppercase(), "amount": 1000});
    let twice = serde_json::to_vec(&payment.to_string()).unwrap();
    assert_eq!(payment_hash_of_body(&twice).as_deref(), Some(HASH_A));
    let once = serde_json::to_vec(&payment).unwrap();
    assert_eq!(payment_hash_of_body(&once).as_deref(), Some(HASH_A));
    assert_eq!(payment_hash_of_body(b"not json"), None);
    assert_eq!(payment_hash_of_body(br#"{"payment_hash": "abc"}"#), None);
    assert_eq!(payment_hash_of_body(br#""{\"amount\": 1}""#), None);
}

fn hook() -> Hook {
    Hook::new(
        url::Url::parse("https://pay.example.com/lnpayd/").unwrap(),
        WebhookKey::from_bytes(&[9; 32]),
    )
}

const ID_A: &str = "inv_0123456789abcdef0123456789abcdef";
const ID_B: &str = "inv_fedcba9876543210fedcba9876543210";

fn rest_of(url: &str) -> &str {
    url.split_once("/daznode/webhook/").unwrap().1
}

#[test]
fn the_url_names_the_invoice_and_its_token() {
    let h = hook();
    let url = h.url_for(ID_A);
    let token = h.key.token(ID_A);
    assert_eq!(
        url,
        format!("https://pay.example.com/lnpayd/daznode/webhook/{ID_A}/{token}")
    );
    assert!(h.knows(rest_of(&url)));
    assert!(!h.knows(&format!("{ID_B}/{token}")));
    assert!(!h.knows(&format!("{ID_A}/{}", h.key.token(ID_B))));
    assert!(!h.knows(&format!("{ID_A}/")));
    assert!(!h.knows(ID_A));
    assert!(!h.knows(&format!("inv_../{token}")));
    assert!(!h.knows(&format!("{ID_A}/{token}/more")));
}

#[tokio::test]
async fn one_call_per_invoice_per_window_reaches_the_watcher() {
    let h = hook();
    let mut hints = h.take_hints().unwrap();
    assert!(h.take_hints().is_none(), "taken once");
    let body =
        serde_json::to_vec(&serde_json::json!({"payment_hash": HASH_A}).to_string()).unwrap();
    let url = h.url_for(ID_A);
    for _ in 0..3 {
        h.receive(rest_of(&url), &body);
    }
    h.receive(&format!("{ID_B}/{}", h.key.token(ID_A)), &body);
    h.receive(rest_of(&h.url_for(ID_B)), b"not json");
    let first = hints.try_recv().unwrap();
    assert_eq!(first.invoice_id, ID_A);
    assert_eq!(first.body_hash.as_deref(), Some(HASH_A));
    let second = hints.try_recv().unwrap();
    assert_eq!(second.invoice_id, ID_B);
    assert_eq!(second.body_hash, None);
    assert!(
        hints.try_recv().is_err(),
        "replays and forgeries are not queued"
    );
}
