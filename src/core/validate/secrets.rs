//! Literal secrets where only env-var names belong.

/// What kind of secret `s` looks like, if any.
pub fn looks_like_secret(s: &str) -> Option<&'static str> {
    let s = s.trim();
    if s.contains("-----BEGIN") {
        return Some("a PEM block (private key or certificate)");
    }
    if is_aws_key_id(s) {
        return Some("an AWS access key id");
    }
    if s.contains("AccountKey=") || s.contains("SharedAccessSignature=") {
        return Some("an Azure connection string");
    }
    if ["sk-", "ghp_", "github_pat_", "xoxb-", "xoxp-", "AIza"]
        .iter()
        .any(|p| s.starts_with(p) && s.len() >= 20)
    {
        return Some("an API token");
    }
    if is_random_token(s) {
        return Some("a long random token");
    }
    None
}

fn is_aws_key_id(s: &str) -> bool {
    (s.starts_with("AKIA") || s.starts_with("ASIA"))
        && s.len() == 20
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Long, unbroken and high in entropy, with letters and digits mixed: how
/// keys and tokens look, and how names, paths and URLs do not.
fn is_random_token(s: &str) -> bool {
    if s.len() < 24 || s.chars().any(char::is_whitespace) || s.contains("://") {
        return false;
    }
    let env_style = s
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let has_digit = s.chars().any(|c| c.is_ascii_digit());
    let has_upper = s.chars().any(|c| c.is_ascii_uppercase());
    let has_lower = s.chars().any(|c| c.is_ascii_lowercase());
    !env_style && has_digit && (has_upper || has_lower) && entropy_bits_per_char(s) >= 3.8
}

/// Shannon entropy over bytes (tokens are ASCII; a byte histogram needs no allocation).
fn entropy_bits_per_char(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&k| k > 0)
        .map(|&k| {
            let p = f64::from(k) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::looks_like_secret;

    #[test]
    fn spots_secrets_not_names() {
        assert!(looks_like_secret("AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(looks_like_secret("-----BEGIN PRIVATE KEY-----\nabc").is_some());
        assert!(looks_like_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").is_some());
        assert!(
            looks_like_secret("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc==")
                .is_some()
        );
        assert!(looks_like_secret("sk-proj-abcdefghijklmnop1234").is_some());
        for fine in [
            "AWS_SECRET_ACCESS_KEY",
            "IMAGEWORKS_S3_ACCESS_KEY_ID",
            "data/images",
            "https://s3.eu-west-1.amazonaws.com/bucket",
            "my-project.appspot.com",
            "imageworks-assets-2024",
            "eu-west-1",
        ] {
            assert_eq!(looks_like_secret(fine), None, "{fine}");
        }
    }
}
