use super::*;

/// Every case: the text, the secret that must not survive, and what must.
const CASES: &[(&str, &str, &str)] = &[
    (
        "https://user:hunter2pass@minio.local/b",
        "hunter2pass",
        "minio.local",
    ),
    (
        "http://AKIAIOSFODNN7EXAMPLE@h/x",
        "AKIAIOSFODNN7EXAMPLE",
        "@h/x",
    ),
    (
        "https://api.example.com/v1?api_key=abc123&model=x",
        "abc123",
        "model=x",
    ),
    (
        "https://h/v1?x=sk-abcdefghijklmnopqrstuvwx",
        "sk-abcdefghijklmnopqrstuvwx",
        "https://h/v1?x=",
    ),
    (
        "https://hooks.slack.com/services/T00000000/B00000000/Zx8Kq2Lm9Pw4Rt7Yb3Nc6Vd1",
        "Zx8Kq2Lm9Pw4Rt7Yb3Nc6Vd1",
        "hooks.slack.com/services",
    ),
    (
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3jVmNHl0w5N",
        "Authorization: Bearer ",
    ),
    (
        "cmd --opt AKIAIOSFODNN7EXAMPLE/x",
        "AKIAIOSFODNN7EXAMPLE",
        "cmd --opt ",
    ),
    ("password = \"hunter2\"", "hunter2", "password = "),
    ("+ client_secret = 'hunter2'", "hunter2", "client_secret"),
    (
        "{\"api_key\": \"hunter2\", \"n\": 1}",
        "hunter2",
        "\"n\": 1",
    ),
    (
        "autostart_map_raw = \"{\\\"m\\\": \\\"--api-key s3cr3tvalue --port 1\\\"}\"",
        "s3cr3tvalue",
        "--port 1",
    ),
    (
        "# token: ghp_abcdefghijklmnopqrstuvwxyz0123",
        "ghp_abcdefghijklmnopqrstuvwxyz0123",
        "# token",
    ),
    (
        "my_thing = \"Zx8Kq2Lm9Pw4Rt7Yb3Nc6Vd1Hf5Jg0Ks\"",
        "Zx8Kq2Lm9Pw4Rt7Yb3Nc6Vd1Hf5Jg0Ks",
        "my_thing",
    ),
    (
        "\"sk-proj-abcdefghijklmnop1234\" = true",
        "sk-proj-abcdefghijklmnop1234",
        "= true",
    ),
    (
        "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abcDEF123==;EndpointSuffix=x",
        "abcDEF123==",
        "EndpointSuffix=x",
    ),
    ("PASSWORD=hunter2 ./run", "hunter2", "./run"),
];

#[test]
fn every_shape_is_masked_and_the_rest_kept() {
    for (text, secret, kept) in CASES {
        let masked = mask_text(text);
        assert!(!masked.contains(secret), "{text:?} -> {masked:?}");
        assert!(masked.contains(kept), "{text:?} -> {masked:?}");
        assert!(masked.contains(MASK), "{text:?} -> {masked:?}");
    }
}

#[test]
fn names_counts_references_and_hashes_are_not_masked() {
    for text in [
        "max_tokens = 512",
        "token_env = \"IW_TOKEN\"",
        "api_key_env = \"OPENAI_API_KEY\"",
        "secret_key_env = \"AWS_SECRET_ACCESS_KEY\"",
        "https://me:${PASSWORD}@host/v1",
        "http://127.0.0.1:8100/v1/models",
        "fingerprint: 3f786850e387550fdab836ed7e6dc881de23001b",
        "\"id\": \"0b9e6a52-4c1e-4f7e-9a0e-2f1c9d7b8a61\"",
        "data/images/chat_proxy_2024_0123456789abcdef.jsonl",
        "password = \"\"",
        "the token was refused",
    ] {
        assert_eq!(mask_text(text), text);
    }
}

#[test]
fn json_values_are_masked_by_their_key() {
    let mut v = serde_json::json!({
        "password": "hunter2",
        "url": "https://u:p4ss@h/x",
        "nested": [{"token": "abc"}, {"max_tokens": "512"}],
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    });
    mask_json(&mut v);
    let text = v.to_string();
    for secret in ["hunter2", "p4ss", "\"abc\"", "wJalrXUtnFEMI"] {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(text.contains("512"), "{text}");
}
