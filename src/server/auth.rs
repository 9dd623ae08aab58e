//! Bearer-token authentication: tokens come from `TOLLGATE_API_TOKENS` (comma-separated) or a file of
//! SHA-256 digests (hex, one per line). Only digests are kept; a presented token is hashed and compared
//! with every digest in constant time. Tokens are never logged.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Digests of comma-separated plain tokens.
pub fn digests_of_tokens(list: &str) -> Vec<[u8; 32]> {
    list.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(digest)
        .collect()
}

/// Read a file of hex SHA-256 digests (blank lines and `#` comments allowed).
pub fn read_digest_file(text: &str) -> Result<Vec<[u8; 32]>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let bytes =
            hex::decode(l).map_err(|_| format!("line {}: not a hex SHA-256 digest", i + 1))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("line {}: a SHA-256 digest has 64 hex digits", i + 1))?;
        out.push(arr);
    }
    Ok(out)
}

/// Does the `Authorization` header carry a known token? Compares against every digest without stopping
/// early, so timing says nothing about which one matched.
pub fn authorized(header: Option<&str>, digests: &[[u8; 32]]) -> bool {
    let Some(h) = header else {
        return false;
    };
    let Some(token) = h
        .strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("bearer "))
    else {
        return false;
    };
    let d = digest(token.trim());
    let mut ok = subtle::Choice::from(0u8);
    for known in digests {
        ok |= d.ct_eq(known);
    }
    ok.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_digests() {
        let d = digests_of_tokens("alpha, beta,");
        assert_eq!(d.len(), 2);
        assert!(authorized(Some("Bearer alpha"), &d));
        assert!(authorized(Some("Bearer beta"), &d));
        assert!(!authorized(Some("Bearer gamma"), &d));
        assert!(!authorized(Some("alpha"), &d));
        assert!(!authorized(None, &d));
        let file = format!("# ops\n{}\n", hex::encode(digest("alpha")));
        assert_eq!(read_digest_file(&file).unwrap(), vec![digest("alpha")]);
        assert!(read_digest_file("abc").is_err());
    }
}
