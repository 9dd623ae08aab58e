//! Unit tests of the generic detectors.

use super::names::classify;
use super::*;

#[test]
fn minified_lines_are_left_to_provider_rules() {
    let short = "db_password = \"Zq8vK2mP9xW4tL7n\"\n";
    assert_eq!(detect("app.py", short, true, true).len(), 1);
    let long = format!(
        "var a=1;{}db_password=\"Zq8vK2mP9xW4tL7n\";\n",
        "x=1;".repeat(400)
    );
    assert!(detect("bundle.js", &long, true, true).is_empty());
}

fn hits(rel: &str, text: &str) -> Vec<(Detector, String)> {
    detect(rel, text, true, true)
        .into_iter()
        .filter(|h| !h.only_if_provider)
        .map(|h| (h.detector, text[h.start..h.end].to_string()))
        .collect()
}

#[test]
fn names() {
    assert_eq!(classify("DB_PASSWORD"), Some(Class::Password));
    assert_eq!(classify("mysqlRootPassword"), Some(Class::Password));
    assert_eq!(classify("api_key"), Some(Class::Secret));
    assert_eq!(classify("X-Api-Key"), Some(Class::Secret));
    assert_eq!(classify("client_secret"), Some(Class::Secret));
    assert_eq!(classify("SECRET_TOKEN"), Some(Class::Secret));
    assert_eq!(classify("AWS_SECRET_ACCESS_KEY"), Some(Class::Secret));
    assert_eq!(classify("password_file"), None);
    assert_eq!(classify("token_url"), None);
    assert_eq!(classify("public_key"), None);
    assert_eq!(classify("key"), None);
    assert_eq!(classify("cache_key"), None);
    assert_eq!(classify("keyboard"), None);
    assert_eq!(classify("tokenizer"), None);
    assert_eq!(classify("passenger_count"), None);
    assert_eq!(classify("ChangeToken"), None);
    assert_eq!(classify("NextContinuationToken"), None);
    assert_eq!(classify("CustomerMasterKeySpec"), None);
    assert_eq!(classify("refresh_token"), Some(Class::Secret));
}

#[test]
fn values() {
    for v in [
        "changeme",
        "<your-token>",
        "${DB_PASSWORD}",
        "$DB_PASSWORD",
        "{{ .Values.x }}",
        "xxxxxxxxxx",
        "**********",
        "password",
        "Password123",
        "secret",
        "user_password",
        "tokenType",
        "PASSWORD_FIELD",
        "your_api_key_here",
        "/etc/secret.key",
        "https://example.org",
        "12345678",
        "dummy-value",
        "test1234",
        "get_password()",
        "os.environ['X']",
        "django.contrib.auth",
        "abcdefgh",
    ] {
        assert!(is_placeholder(v, Class::Password, Some("password")), "{v}");
    }
    for v in [
        "Xk9#mP2$vL8q",
        "hunter22",
        "s3cr3tP4ss!",
        "Tr0ub4dor&3",
        "CPOPclpwzu.kgz",
        "Sup3rS3cr3tPw!",
        "P@ssw0rd!",
    ] {
        assert!(!is_placeholder(v, Class::Password, Some("password")), "{v}");
    }
    assert!(!is_placeholder(
        "9f8a7b6c5d4e3f2a1b0c",
        Class::Secret,
        Some("api_key")
    ));
    assert!(is_placeholder(
        "notasecretatall",
        Class::Secret,
        Some("api_key")
    ));
}

#[test]
fn env_and_shell_unquoted() {
    let t = "DB_PASSWORD=Xk9mP2vL8q\nexport API_TOKEN=9f8a7b6c5d4e3f2a1b0c\nPASSWORD=\nSECRET=${SECRET}\n";
    let h = hits(".env", t);
    assert_eq!(
        h,
        vec![
            (Detector::GenericPassword, "Xk9mP2vL8q".into()),
            (
                Detector::GenericSecretAssignment,
                "9f8a7b6c5d4e3f2a1b0c".into()
            )
        ]
    );
}

#[test]
fn code_requires_literals() {
    let t = "password = get_password()\npassword: str\ntoken = os.environ['TOKEN']\npassword = None\napi_key = \"9f8a7b6c5d4e3f2a1b0c\"\ndef f(password: str = \"Xk9mP2vL8q\"): pass\n";
    let h = hits("app.py", t);
    assert_eq!(
        h,
        vec![
            (
                Detector::GenericSecretAssignment,
                "9f8a7b6c5d4e3f2a1b0c".into()
            ),
            (Detector::GenericPassword, "Xk9mP2vL8q".into())
        ]
    );
}

#[test]
fn dockerfile_forms() {
    let t = "FROM python\nENV DB_PASSWORD Xk9mP2vL8q\nENV API_KEY=9f8a7b6c5d4e3f2a1b0c OTHER=1\nARG GH_TOKEN=a8f9e7d6c5b4a3f2e1d0\n";
    let h = hits("Dockerfile", t);
    assert_eq!(h.len(), 3, "{h:?}");
}

#[test]
fn urls_curl_and_headers() {
    let t = "DATABASE_URL=postgres://app:Xk9mP2vL8q@db.internal:5432/app\ncurl -u admin:Zp4tQ8wR2x https://api\nAuthorization: Basic YWRtaW46WnA0dFE4d1IyeA==\nurl = 'postgres://user:${DB_PASSWORD}@db/app'\n";
    let h = hits("notes.txt", t);
    assert_eq!(h.len(), 3, "{h:?}");
}

#[test]
fn kubernetes_data_is_decoded() {
    let t = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  username: YWRtaW4=\n  password: WGs5bVAydkw4cQ==\nstringData:\n  api-token: 9f8a7b6c5d4e3f2a1b0c\n";
    let h = hits("k8s/secret.yaml", t);
    assert!(
        h.contains(&(Detector::GenericPassword, "WGs5bVAydkw4cQ==".into())),
        "{h:?}"
    );
    assert!(h.iter().any(|(_, v)| v == "9f8a7b6c5d4e3f2a1b0c"), "{h:?}");
    assert!(!h.iter().any(|(_, v)| v == "YWRtaW4="), "{h:?}");
}

#[test]
fn base64() {
    assert_eq!(base64_decode("YWRtaW4=").unwrap(), b"admin");
    assert_eq!(base64_decode("YWRtaW4").unwrap(), b"admin");
    assert!(base64_decode("not base64!").is_none());
}

#[test]
fn many_hits_stay_linear() {
    let text: String = (0..20_000)
        .map(|i| format!("DB_PASSWORD=Xk9mP2vL8q{i}\nPassword: Tq82!mzLw{i}\n"))
        .collect();
    let t = std::time::Instant::now();
    let h = detect("big.env", &text, true, true);
    assert!(h.len() >= 39_000, "{}", h.len());
    assert!(t.elapsed().as_secs() < 30, "{:?}", t.elapsed());
}

#[test]
fn hostile_fragments_never_panic() {
    // Pieces that open quotes, tags, calls, tables and commands without closing them, in every
    // combination, cut at every byte.
    let pieces = [
        "password",
        "Password:",
        "PW:",
        "пароль：",
        "密码",
        " / ",
        "login ",
        "| Password |\n|---|\n| ",
        "mysql -p",
        "openssl -passin pass:",
        "echo \"",
        " | docker login --password-stdin",
        "sqlplus a/",
        "getConnection(\"u\", \"",
        "\"x\".toCharArray()",
        "<password",
        " encoding=\"b\">",
        "</password>",
        "INSERT INTO t (a, password) VALUES ('",
        "',",
        "IDENTIFIED BY ",
        "@tcp(",
        "thin:a/",
        "==",
        "'",
        "\"",
        "\\",
        "(",
        ")",
        "[",
        "]",
        "{ get; set; } = ",
        "char pass[",
        "kind: SealedSecret\n",
        "  encryptedData:\n",
        "    password: ",
        "Xk9#mP2$vL8q",
        "\n",
        "é",
        "𝄞",
    ];
    let mut text = String::new();
    for (i, a) in pieces.iter().enumerate() {
        for b in pieces.iter().skip(i % 7) {
            text.push_str(a);
            text.push_str(b);
        }
    }
    for name in [
        "a.txt",
        "a.py",
        "a.sql",
        "a.yaml",
        ".pgpass",
        "a.gradle",
        "Dockerfile",
    ] {
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                let _ = detect(name, &text[..cut], true, true);
                let _ = detect(name, &text[cut..], true, true);
            }
            cut += 2003;
        }
    }
}
