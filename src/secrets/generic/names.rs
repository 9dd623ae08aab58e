//! Names: which identifiers announce a password or a secret (`DB_PASSWORD`, `apiKey`, `client_secret`),
//! and which only describe one (`password_file`, `token_url`, `public_key`).

use super::Class;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::sync::OnceLock;

/// Name fragments that make an identifier worth looking at (ASCII case-insensitive).
pub const NAME_KEYWORDS: &[&str] = &[
    "pass", "pwd", "pswd", "secret", "token", "key", "auth", "cred", "contrase", "private",
];

pub(super) fn name_finder() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(NAME_KEYWORDS)
            .expect("static patterns")
    })
}

/// Longest name part looked at on either side of a keyword.
pub(super) const MAX_NAME: usize = 80;

pub(super) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
}

/// Split an identifier into lower-case words (`_`, `-`, `.` and camelCase boundaries).
pub(super) fn words(ident: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let b = ident.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = b[i - 1];
            let next_lower = b.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if (prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower))
                && !cur.is_empty()
            {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c.to_ascii_lowercase() as char);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A last word that says the value is about a secret, not the secret itself.
pub(super) const NOT_SECRET_LAST: &[&str] = &[
    "file",
    "files",
    "filename",
    "path",
    "paths",
    "dir",
    "directory",
    "folder",
    "name",
    "names",
    "type",
    "types",
    "kind",
    "length",
    "len",
    "size",
    "count",
    "field",
    "fields",
    "column",
    "label",
    "placeholder",
    "prompt",
    "hint",
    "policy",
    "pattern",
    "regex",
    "regexp",
    "format",
    "prefix",
    "suffix",
    "header",
    "headers",
    "param",
    "params",
    "parameter",
    "enabled",
    "enable",
    "disabled",
    "required",
    "expiry",
    "expires",
    "expiration",
    "expire",
    "ttl",
    "timeout",
    "lifetime",
    "age",
    "endpoint",
    "url",
    "uri",
    "urls",
    "host",
    "port",
    "method",
    "methods",
    "mode",
    "version",
    "alg",
    "algorithm",
    "algorithms",
    "env",
    "var",
    "variable",
    "ref",
    "reference",
    "template",
    "validator",
    "validation",
    "validators",
    "reset",
    "confirm",
    "confirmation",
    "changed",
    "strength",
    "min",
    "max",
    "id",
    "ids",
    "uuid",
    "hash",
    "hashed",
    "hasher",
    "hashers",
    "digest",
    "class",
    "cls",
    "backend",
    "backends",
    "handler",
    "provider",
    "store",
    "storage",
    "manager",
    "service",
    "client",
    "location",
    "source",
    "location",
    "arn",
    "key_id",
    "index",
    "idx",
    "option",
    "options",
    "flag",
    "flags",
    "error",
    "errors",
    "message",
    "msg",
    "text",
    "title",
    "description",
    "desc",
    "help",
    "input",
    "form",
    "widget",
    "button",
    "view",
    "views",
    "test",
    "tests",
    "mock",
    "dummy",
    "example",
    "sample",
    "default",
    "defaults",
    "pub",
    "public",
    "usage",
    "used",
    "user",
    "username",
    "login",
    "email",
    "endpoint",
    "callback",
    "redirect",
    "scope",
    "scopes",
    "audience",
    "issuer",
    "set",
    "get",
    "list",
    "map",
    "dict",
    "fn",
    "func",
    "function",
    "cb",
    "len",
    "encoding",
    "encoder",
    "decoder",
    "generator",
    "factory",
    "count",
    "exists",
    "valid",
    "invalid",
    "expired",
    "status",
    "state",
    "info",
    "data",
    "response",
    "request",
    "result",
    "bytes",
    "bits",
    "rotation",
    "refresh_url",
    "lookup",
    "cache",
    "ssm",
    "vault",
    "keyvault",
    "secretref",
    "secretname",
    "secretkeyref",
    "mount",
    "volume",
    "config",
    "configs",
    "settings",
    "setting",
    "key",
    "keys",
    "identifier",
    "startswith",
    "endswith",
    "contains",
    "icontains",
    "exact",
    "iexact",
    "isnull",
    "in",
    "regex",
    "iregex",
    "gt",
    "lt",
    "gte",
    "lte",
    "spec",
    "specs",
    "protocol",
    "scheme",
    "magic",
];

/// With `token`, words that make it a protocol token, not a credential: AWS `ChangeToken`,
/// `ClientRequestToken`, `NextToken`, `ContinuationToken`, `LifecycleActionToken` (idempotency, paging).
const NOT_CREDENTIAL_TOKEN: &[&str] = &[
    "change",
    "request",
    "continuation",
    "next",
    "page",
    "pagination",
    "paging",
    "cursor",
    "lifecycle",
    "purchase",
    "sync",
    "resume",
    "marker",
    "ack",
];

/// Words anywhere in a name that make it not a credential.
pub(super) const NOT_SECRET_ANY: &[&str] = &[
    "getpass",
    "public",
    "pub",
    "csrf",
    "xsrf",
    "sort",
    "primary",
    "foreign",
    "partition",
    "idempotency",
    "cache",
    "monkey",
    "turkey",
    "donkey",
    "keyboard",
    "keyword",
    "keywords",
    "keystroke",
    "keypress",
    "keydown",
    "keyup",
    "keyframe",
    "keyframes",
    "passenger",
    "passive",
    "passage",
    "bypass",
    "compass",
    "passthrough",
    "secretary",
    "tokenizer",
    "tokenize",
    "tokenized",
    "tokens",
    "tokenization",
    "authenticity",
    "encrypted",
    "hashed",
    "hash",
    "digest",
    "checksum",
    "masked",
    "hidden",
    "placeholder",
    "expected",
    "mock",
    "fake",
    "dummy",
];

/// Which kind of secret a name announces, if any.
pub(super) fn classify(ident: &str) -> Option<Class> {
    let ws = words(ident);
    if ws.is_empty() {
        return None;
    }
    if ws.iter().any(|w| NOT_SECRET_ANY.contains(&w.as_str())) {
        return None;
    }
    let last = ws.last().map(String::as_str).unwrap_or("");
    let collapsed: String = ws.concat();
    if collapsed.contains("csrf") || collapsed.contains("xsrf") {
        return None;
    }
    let is_password_word = |w: &str| {
        matches!(
            w,
            "password"
                | "passwd"
                | "pass"
                | "pwd"
                | "pswd"
                | "passphrase"
                | "passcode"
                | "pword"
                | "contrasena"
                | "contrasenya"
                | "passwort"
                | "passwords"
                | "requirepass"
                | "masterauth"
                | "psk"
                | "storepass"
                | "keypass"
                | "srcstorepass"
                | "deststorepass"
                | "senha"
                | "wachtwoord"
        ) || w.ends_with("password")
            || w.ends_with("passwd")
            || w.ends_with("passphrase")
            || (w.ends_with("pass") && w.len() <= 8 && !w.ends_with("bypass"))
    };
    let password = ws.iter().any(|w| is_password_word(w));
    let secret = !password
        && (ws.iter().any(|w| {
            w == "secret"
                || w == "secrets"
                || w.ends_with("secret")
                || w == "token"
                || w.ends_with("token")
                || w == "credential"
                || w == "credentials"
                || w == "creds"
                || w == "privkey"
                || w == "apikey"
                || w == "auth"
                || w == "authorization"
        }) || [
            "apikey",
            "accesskey",
            "privatekey",
            "secretkey",
            "authkey",
            "clientkey",
            "appkey",
            "applicationkey",
            "masterkey",
            "encryptionkey",
            "encryptkey",
            "signingkey",
            "signkey",
            "accountkey",
            "servicekey",
            "consumerkey",
            "subscriptionkey",
            "sessionkey",
            "hmackey",
            "jwtkey",
            "webhookkey",
            "sharedkey",
            "licensekey",
            "deploykey",
            "dbkey",
            "databasekey",
            "storagekey",
            "secretaccesskey",
            "cryptkey",
            "cipherkey",
            "aeskey",
            "rootkey",
            "adminkey",
        ]
        .iter()
        .any(|k| collapsed.contains(k)));
    if !password && !secret {
        return None;
    }
    if !password
        && ws.iter().any(|w| w == "token" || w == "tokens")
        && ws
            .iter()
            .any(|w| NOT_CREDENTIAL_TOKEN.contains(&w.as_str()))
    {
        return None;
    }
    // `password_file`, `token_url`, `secret_name` ... describe the secret, they do not hold it. A trailing
    // `key` is the secret itself when a qualifier precedes it (`api_key`), handled above.
    if NOT_SECRET_LAST.contains(&last) && !(last == "key" && ws.len() > 1) {
        return None;
    }
    if last == "key" && ws.len() > 1 {
        let prev = ws[ws.len() - 2].as_str();
        // `password_key`, `token_key`: the lookup key under which a secret is stored.
        if is_password_word(prev) || prev == "token" {
            return None;
        }
    }
    Some(if password {
        Class::Password
    } else {
        Class::Secret
    })
}
