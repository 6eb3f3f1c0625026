//! The Graph client's certificate trust, against a real TLS server (`openssl s_server`) with a
//! certificate from a test CA: refused at once (no retries) with a message that says what to do, and
//! trusted when `SSL_CERT_FILE` names the CA, as behind a TLS-inspecting corporate proxy. The test
//! fails under CI=true when the openssl command is missing (CI installs it) and skips loudly otherwise.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_igflight");

/// `openssl s_server` on a free port with `cert`/`key` (answers every GET with an HTML page), and
/// its port; None when openssl is missing outside CI.
fn s_server(dir: &std::path::Path, cert: &str, key: &str) -> Option<(Child, u16)> {
    let present = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the TLS trust test needs the openssl command (CI installs it)"
        );
        eprintln!("SKIPPED: the openssl command is missing; install openssl to run this test");
        return None;
    }
    std::fs::write(dir.join("server.pem"), cert).unwrap();
    std::fs::write(dir.join("server.key"), key).unwrap();
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("openssl")
            .current_dir(dir)
            .args(["s_server", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-cert", "server.pem", "-key", "server.key", "-www"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // "ACCEPT" once it listens; an early end means the port was taken meanwhile
        if lines.any(|l| l.is_ok_and(|l| l.starts_with("ACCEPT"))) {
            std::thread::spawn(move || lines.for_each(drop));
            return Some((child, port));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("openssl s_server did not start");
}

fn sql_against(
    port: u16,
    ssl_cert_file: Option<&std::path::Path>,
) -> (Option<i32>, String, Duration) {
    let mut c = Command::new(BIN);
    c.args(["sql", "--state", "memory", "--graph-url"])
        .arg(format!("https://127.0.0.1:{port}"))
        .arg("SELECT * FROM pages")
        .env("IGFLIGHT_ACCESS_TOKEN", "EAAGtlstesttoken")
        .env_remove("RUST_LOG")
        .env_remove("SSL_CERT_DIR");
    match ssl_cert_file {
        Some(f) => c.env("SSL_CERT_FILE", f),
        None => c.env_remove("SSL_CERT_FILE"),
    };
    let started = Instant::now();
    let out = c.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn an_untrusted_certificate_fails_at_once_and_ssl_cert_file_trusts_a_proxy_ca() {
    let dir = tempfile::tempdir().unwrap();
    let certs = common::make_certs();
    let Some((mut server, port)) = s_server(dir.path(), &certs.server, &certs.server_key) else {
        return;
    };
    // not trusted: one line saying what to do, no retries (a retry cannot make it trusted)
    let (code, err, took) = sql_against(port, None);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("the TLS certificate of the Graph URL is not trusted")
            && err.contains("SSL_CERT_FILE"),
        "{err}"
    );
    assert!(!err.contains("gave up after"), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}: {err}");
    assert!(!err.contains("EAAGtlstesttoken"), "{err}");
    // trusted through SSL_CERT_FILE: the TLS handshake succeeds and the HTTP answer is read (s_server
    // answers HTML, which the client refuses as not the Graph API)
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &certs.ca).unwrap();
    let (code, err, _) = sql_against(port, Some(&ca));
    assert_eq!(code, Some(1), "{err}");
    assert!(!err.contains("certificate"), "{err}");
    assert!(
        err.contains("answered HTML instead of Graph API JSON"),
        "{err}"
    );
    let _ = server.kill();
    let _ = server.wait();
}
