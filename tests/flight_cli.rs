//! `igflight serve` as a process: the demo serves Flight, a missing token and bad flags exit non-zero
//! with one line.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use arrow_flight::{Action, FlightClient, Ticket};
use futures::TryStreamExt;

const BIN: &str = env!("CARGO_BIN_EXE_igflight");

#[test]
fn serve_without_a_token_says_how_to_fix_it() {
    let config = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("IGFLIGHT_ACCESS_TOKEN")
        .env("IGFLIGHT_CONFIG_DIR", config.path())
        .env("IGFLIGHT_DATA_DIR", config.path().join("data"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("IGFLIGHT_ACCESS_TOKEN") && err.contains("--demo"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn bad_serve_flags_say_what_is_accepted() {
    for (flag, value, accepted) in [
        ("--graph-version", "15", "vMAJOR.MINOR"),
        ("--calls-per-hour", "0", "1.."),
        ("--listen", "nowhere", "socket address"),
    ] {
        let out = Command::new(BIN)
            .args(["serve", flag, value])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or_default();
        assert!(first.contains(flag) && first.contains(accepted), "{err}");
    }
}

#[test]
fn bad_credentials_are_refused_without_repeating_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let bad_line = file("bad.auth", "bearer SECRET-3\n");
    let unserved = file("unserved.auth", "# ok\ntoken SECRET-4 nosuch\n");
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["--auth-user", ":SECRET-1"],
            "--auth-user",
            "NAME:PASSWORD",
        ),
        (
            &["--auth-token", "has SECRET-2"],
            "--auth-token",
            "without spaces",
        ),
        (
            &["--auth-file", &bad_line],
            "line 1",
            "`token TOKEN [CONNECTION,…]`",
        ),
        (
            &["--auth-file", &unserved],
            "--auth-file line 2 limits a credential to a connection this server does not serve",
            "serving: demo",
        ),
    ];
    for (flags, says, accepted) in cases {
        let out = Command::new(BIN)
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .args(flags)
            .env_remove("IGFLIGHT_AUTH_TOKENS")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{flags:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(says) && err.contains(accepted),
            "{flags:?}: {err}"
        );
        assert!(!err.contains("SECRET-"), "a credential is repeated: {err}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("SECRET-"));
    }
}

#[test]
fn files_that_are_not_pem_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let junk = write("junk.pem", "not a certificate\n");
    let cert_like = write(
        "cert.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    for (cert, key, says) in [
        (
            &junk,
            &junk,
            format!("--tls-cert {junk}: expected PEM certificates"),
        ),
        (
            &cert_like,
            &junk,
            format!("--tls-key {junk}: expected a PEM private key"),
        ),
    ] {
        let out = Command::new(BIN)
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .args(["--tls-cert", cert, "--tls-key", key])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&says), "{err}");
    }
}

#[test]
fn binding_beyond_loopback_without_auth_warns() {
    let mut child = Child(
        Command::new(BIN)
            .args(["serve", "--demo", "--listen", "0.0.0.0:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = child.0.stderr.take().unwrap();
    let line = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("warning: serving on"))
        .expect("a warning");
    assert!(
        line.contains("without authentication") && line.contains("--auth-"),
        "{line}"
    );
}

#[cfg(unix)]
#[test]
fn credential_files_readable_by_others_are_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    for (flag, text) in [
        ("--auth-token-file", "SECRET-TOKEN-1\n"),
        ("--auth-file", "token SECRET-TOKEN-2\n"),
    ] {
        let path = dir.path().join(flag.trim_start_matches('-'));
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut child = Child(
            Command::new(BIN)
                .args(["serve", "--demo", "--listen", "127.0.0.1:0", flag])
                .arg(&path)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let stderr = child.0.stderr.take().unwrap();
        let line = BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("warning:"))
            .unwrap_or_else(|| panic!("{flag}: no warning"));
        assert!(
            line.contains("can be read by other users") && line.contains("chmod 600"),
            "{flag}: {line}"
        );
        assert!(!line.contains("SECRET-TOKEN"), "{line}");
    }
}

/// Kills the child on drop.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_demo_serves_flight() {
    let mut child = Child(
        Command::new(BIN)
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .env_remove("IGFLIGHT_ACCESS_TOKEN")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let start = Instant::now();
    let mut lines = Vec::new();
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30).saturating_sub(start.elapsed()))
            .unwrap_or_else(|_| panic!("no `serving` line; got {lines:?}"));
        if let Some(a) = line.strip_prefix("igflight serving Flight on grpc://") {
            break a.to_string();
        }
        lines.push(line);
    };
    assert!(
        lines
            .iter()
            .any(|l| l.contains("simulated Graph API on http://")),
        "{lines:?}"
    );
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut fc = FlightClient::new(channel);
    let bodies: Vec<bytes::Bytes> = fc
        .do_action(Action::new("list-reports", ""))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let reports: serde_json::Value = serde_json::from_slice(&bodies[0]).unwrap();
    let example = reports
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "user_media")
        .unwrap()["example"]
        .clone();
    let batches: Vec<arrow::record_batch::RecordBatch> = fc
        .do_get(Ticket::new(example.to_string()))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(batches.iter().map(|b| b.num_rows()).sum::<usize>() > 0);
}
