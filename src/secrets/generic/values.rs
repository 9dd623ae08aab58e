//! Values: is this a real secret or a placeholder, reference, label, path, hash or weak dictionary word?

use super::super::rules::shannon_entropy;
use super::names::words;
use super::Class;

/// Substrings that mark a value as a placeholder or test value (lower-case).
pub(super) const STOPWORDS: &[&str] = &[
    "…",
    "example",
    "sample",
    "dummy",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "change_it",
    "replaceme",
    "replace_me",
    "replace-me",
    "replace_with",
    "replace-with",
    "your_",
    "your-",
    "yourpass",
    "yoursecret",
    "yourtoken",
    "yourkey",
    "yourapi",
    "insert_",
    "insert-",
    "insertyour",
    "enter_",
    "enteryour",
    "redacted",
    "removed",
    "fake",
    "mock",
    "test",
    "todo",
    "fixme",
    "notreal",
    "not_real",
    "not-real",
    "not_a_real",
    "not-a-real",
    "invalid",
    "lorem",
    "foobar",
    "_here",
    "-here",
    "xxxx",
    "****",
    "....",
    "####",
    "????",
    "0000000",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "{%",
    "#{",
    "%(",
    "%s",
    "$(",
    "%env",
    "env.",
    "environ",
    "getenv",
    "process.env",
    "secrets.",
    "secretkeyref",
    "valuefrom",
    "vault:",
    "ssm:",
    "arn:aws",
    "secretsmanager",
    "keyvault",
    "ref+",
    "op://",
    "sm://",
    "awskms:",
    "gcpkms:",
    "enc[",
    "enc(",
    "aaaaaa",
    "123456789",
    "abcdef",
    "qwerty",
    "deadbeef",
    "cafebabe",
    "12345",
];

/// Prefixes of password hashes and encrypted values: not the credential itself.
pub(super) const HASH_PREFIXES: &[&str] = &[
    "pbkdf2_",
    "pbkdf2:",
    "argon2",
    "bcrypt",
    "scrypt",
    "sha1$",
    "sha256$",
    "md5$",
    "crypt$",
    "{ssha}",
    "{sha}",
    "{bcrypt}",
    "{noop}",
    "{md5}",
    "$2a$",
    "$2b$",
    "$2y$",
    "$argon2",
    "$6$",
    "$5$",
    "$1$",
    "ansible_vault",
    "$ansible_vault",
    "vault:v1:",
    "age1",
    "-----begin age",
];

/// Whole values (after lower-casing and removing digits and punctuation, with common letter
/// substitutions undone) that are words, not secrets.
pub(super) const WEAK_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "apikey",
    "key",
    "changeme",
    "admin",
    "administrator",
    "root",
    "user",
    "username",
    "guest",
    "demo",
    "default",
    "none",
    "null",
    "nil",
    "undefined",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "empty",
    "string",
    "str",
    "bool",
    "int",
    "required",
    "optional",
    "hidden",
    "masked",
    "value",
    "values",
    "letmein",
    "abc",
    "abcd",
    "abcdef",
    "foo",
    "bar",
    "baz",
    "qux",
    "temp",
    "tmp",
    "mysecret",
    "mypassword",
    "mypass",
    "topsecret",
    "sekrit",
    "supersecret",
    "secretkey",
    "secretpassword",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "redis",
    "rabbitmq",
    "mongo",
    "mongodb",
    "sa",
    "oracle",
    "dev",
    "development",
    "prod",
    "production",
    "staging",
    "local",
    "localhost",
    "public",
    "private",
    "hello",
    "world",
    "helloworld",
    "welcome",
    "login",
    "auth",
    "bearer",
    "basic",
    "credentials",
    "unknown",
    "unset",
    "notset",
    "disabled",
    "enabled",
    "random",
    "generated",
    "auto",
    "changethis",
    "sesame",
    "opensesame",
    "pa",
    "pw",
];

pub(super) fn normalize_word(v: &str) -> String {
    // Trailing digits and punctuation go (`password123!`), then what is not a letter. L33t spellings
    // (`P@ssw0rd`, `s3cr3t`) are not undone: people really use them as passwords.
    let trimmed = v.trim_end_matches(|c: char| c.is_ascii_digit() || "!?.#*_-@$".contains(c));
    let base = if trimmed.is_empty() { v } else { trimmed };
    base.chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_lowercase())
        .collect()
}

pub(super) fn all_same(v: &str) -> bool {
    let mut it = v.chars();
    match it.next() {
        Some(f) => it.all(|c| c == f),
        None => true,
    }
}

/// `abcdef`, `123456`, `ABCDEFGH` ...: sequences, as detect-secrets filters them.
pub(super) fn is_sequential(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 4 && b.windows(2).all(|w| w[1] == w[0].wrapping_add(1))
}

/// Is `value` (assigned to `key`, when known) a placeholder, reference or non-secret?
pub(crate) fn is_placeholder(value: &str, class: Class, key: Option<&str>) -> bool {
    let v = value.trim();
    // Labels and prompts: " Confirm: ", "Password:".
    if v.len() != value.len() || v.ends_with(':') {
        return true;
    }
    let n = v.chars().count();
    let min = match class {
        Class::Password => 6,
        Class::Secret => 8,
    };
    if n < min || n > 1000 {
        return true;
    }
    if v.contains(char::is_whitespace) && class == Class::Secret {
        return true;
    }
    // Sentences and labels ("Enter your password").
    if v.split_whitespace().count() > 1 {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if STOPWORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    // PostgreSQL `md5` + 32 hex, SCRAM verifiers.
    if (lower.len() == 35
        && lower.starts_with("md5")
        && lower[3..].bytes().all(|c| c.is_ascii_hexdigit()))
        || lower.starts_with("scram-sha-256$")
    {
        return true;
    }
    if HASH_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    // Words built around the name of what they stand for: somepassword, mysecretpassword, nopassword.
    // ... also with a few digits or separators: personal-access-token123, iamapassword1.
    if v.bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && v.bytes().filter(u8::is_ascii_digit).count() <= 4
        && [
            "password",
            "passwd",
            "passphrase",
            "secret",
            "token",
            "apikey",
            "api-key",
            "api_key",
        ]
        .iter()
        .any(|w| lower.contains(w))
    {
        return true;
    }
    // Attribute paths: settings.SECRET_KEY, request.POST, os.environ.
    if v.contains('.')
        && v.split('.').all(|seg| {
            let b = seg.as_bytes();
            let uppers = b.iter().filter(|c| c.is_ascii_uppercase()).count();
            let unders = b.iter().filter(|c| **c == b'_').count();
            !seg.is_empty()
                && b.iter().all(|c| c.is_ascii_alphabetic() || *c == b'_')
                && (uppers * 4 <= b.len() || uppers + unders == b.len())
        })
    {
        return true;
    }
    let first = v.as_bytes()[0];
    let last = v.as_bytes()[v.len() - 1];
    // References and templates: $VAR, %VAR%, @VAR@, __VAR__, {x}, [x], (x), func(...), x[...].
    if first == b'$'
        || (first == b'%' && last == b'%')
        || (first == b'@' && last == b'@')
        || v.starts_with("__") && v.ends_with("__")
        || first == b'{'
        || first == b'['
        || first == b'('
        || first == b'*'
        || first == b'&'
        || first == b'!'
        || first == b'|'
        || v.ends_with("()")
    {
        return true;
    }
    // Prose and code fragments: quotes inside the value.
    if v.contains(['"', '\'', '`']) {
        return true;
    }
    // Entry points and attribute paths: `package.module:function`.
    if v.contains(':')
        && v.contains('.')
        && v.split([':', '.']).all(|seg| {
            !seg.is_empty()
                && seg.as_bytes()[0].is_ascii_alphabetic()
                && seg.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        })
    {
        return true;
    }
    // A call or an index expression (`get_password()`, `env[KEY]`): a name right before the bracket.
    let call_like = |open: char, close: char| {
        v.find(open).is_some_and(|i| {
            v[i..].contains(close)
                && i > 0
                && v[..i]
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'$'))
        })
    };
    let paren = call_like('(', ')');
    let bracket = call_like('[', ']');
    if paren || bracket || v.contains('{') || v.contains('}') {
        return true;
    }
    // Paths, URLs, file names, e-mail addresses.
    if first == b'/'
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("~/")
        || v.contains("://")
        || v.starts_with("file:")
        || v.starts_with("classpath:")
        || (v.len() > 2 && v.as_bytes()[1] == b':' && matches!(v.as_bytes()[2], b'\\' | b'/'))
    {
        return true;
    }
    const FILE_EXT: &[&str] = &[
        ".pem",
        ".key",
        ".crt",
        ".cer",
        ".p12",
        ".pfx",
        ".jks",
        ".json",
        ".yaml",
        ".yml",
        ".txt",
        ".env",
        ".asc",
        ".gpg",
        ".pub",
        ".der",
        ".keystore",
        ".conf",
        ".ini",
        ".xml",
        ".properties",
        ".sh",
        ".py",
        ".js",
        ".html",
        ".ts",
        ".toml",
        ".cfg",
        ".csv",
        ".log",
        ".secret",
        ".enc",
    ];
    if FILE_EXT.iter().any(|e| lower.ends_with(e)) {
        return true;
    }
    if let Some((a, b)) = v.split_once('@') {
        if !a.is_empty()
            && b.contains('.')
            && b.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
        {
            return true;
        }
    }
    // Numbers, versions, dates.
    if v.bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b':' | b'/' | b'+' | b'_'))
    {
        return true;
    }
    if all_same(v) || is_sequential(&lower) {
        return true;
    }
    // Identifiers and labels: user_password, my-app-secret, tokenType, PASSWORD_FIELD, module.path.
    if is_identifier_like(v) {
        return true;
    }
    // A single plain word ("hunter", "Register") is a label or a weak placeholder, not a leaked secret.
    if n < 10
        && v.bytes().all(|c| c.is_ascii_alphabetic())
        && v.bytes().skip(1).all(|c| c.is_ascii_lowercase())
    {
        return true;
    }
    let norm = normalize_word(v);
    if norm.is_empty() || WEAK_WORDS.contains(&norm.as_str()) {
        return true;
    }
    if let Some(k) = key {
        let nk = normalize_word(k);
        if !nk.is_empty() && (norm == nk || nk.ends_with(&norm) && norm.len() >= 4) {
            return true;
        }
    }
    let entropy = shannon_entropy(v.as_bytes());
    match class {
        Class::Password => entropy < 2.3,
        Class::Secret => {
            // Tokens and keys are random: require some entropy, and a digit or mixed case or length.
            let digits = v.bytes().any(|c| c.is_ascii_digit());
            let upper = v.bytes().any(|c| c.is_ascii_uppercase());
            let lower_c = v.bytes().any(|c| c.is_ascii_lowercase());
            entropy < 3.0 || !(digits || (upper && lower_c) || n >= 20)
        }
    }
}

pub(super) fn is_identifier_like(v: &str) -> bool {
    let b = v.as_bytes();
    if b.iter().any(|c| c.is_ascii_digit()) {
        return false;
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_alphabetic() || matches!(c, b'_' | b'-' | b'.'))
    {
        return false;
    }
    let has_sep = b.iter().any(|c| matches!(c, b'_' | b'-' | b'.'));
    let all_lower = b.iter().all(|c| !c.is_ascii_uppercase());
    let all_upper = b.iter().all(|c| !c.is_ascii_lowercase());
    // snake_case / kebab-case / dotted words, CONSTANT_CASE.
    if has_sep && (all_lower || all_upper) {
        return true;
    }
    if all_upper && b.len() <= 24 {
        return true;
    }
    // camelCase / PascalCase words without separators: each hump is a lowercase run of 2+ letters.
    if !has_sep && !all_lower {
        // Words joined in camel case ("IAmSensitive", "tokenType"); random mixed case ("xKqPzLmWv") has
        // far more capitals.
        let uppers = b.iter().filter(|c| c.is_ascii_uppercase()).count();
        if words(v).len() >= 2 && uppers * 4 <= b.len() {
            return true;
        }
    }
    false
}
