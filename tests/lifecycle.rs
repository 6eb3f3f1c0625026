//! Running for months: `serve` drains on SIGTERM (running streams finish, or are cut with an error
//! after `--shutdown-grace`) and exits 0; the gRPC health service says NOT_SERVING while it drains
//! and per connection when a token is refused or expired; a busy port is a runtime failure (exit 1)
//! naming the address; `export` ends on SIGTERM without a partial file; the systemd unit verifies and
//! the container entrypoint refuses to listen on all interfaces without client credentials.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow_flight::{Action, FlightClient, Ticket};
use futures::{StreamExt, TryStreamExt};
use igflight::flight::{
    Connections, FlightServerHandle, IgFlightService, ServeOptions, Served, connection_service,
};
use igflight::plan::ReportContext;
use igflight::sim::SimConfig;
use serde_json::json;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const BIN: &str = env!("CARGO_BIN_EXE_igflight");

/// Kills the child on drop.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Child {
    fn signal(&self, name: &str) {
        let pid = self.0.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Its exit status, waiting at most `limit`.
    fn exit_within(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < limit, "still running after {limit:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `igflight simulate --listen 127.0.0.1:0 MORE`: the process and its base URL.
fn simulate(more: &[&str]) -> (Child, String) {
    let mut child = Child(
        Command::new(BIN)
            .args(["simulate", "--listen", "127.0.0.1:0"])
            .args(more)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let url = line.split_whitespace().last().unwrap().to_string();
    assert!(url.starts_with("http://"), "{line}");
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

/// A `serve` process: its address and everything it wrote on stderr so far.
struct Server {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
    _data: tempfile::TempDir,
}

impl Server {
    /// `igflight serve --listen 127.0.0.1:0 ARGS` (its ledger in a temporary folder, no stored
    /// connection), once it listens.
    fn start(args: &[&str], token: Option<&str>) -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("IGFLIGHT_CONFIG_DIR", data.path().join("config"))
            .env("IGFLIGHT_DATA_DIR", data.path().join("data"))
            .env_remove("IGFLIGHT_STATE")
            .env_remove("IGFLIGHT_AUTH_TOKENS")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match token {
            Some(t) => cmd.env("IGFLIGHT_ACCESS_TOKEN", t),
            None => cmd.env_remove("IGFLIGHT_ACCESS_TOKEN"),
        };
        let mut child = Child(cmd.spawn().unwrap());
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.0.stderr.take().unwrap();
        let sink = stderr.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
        let addr = loop {
            let Some(Ok(line)) = lines.next() else {
                panic!("serve ended before listening: {}", stderr.lock().unwrap());
            };
            if let Some(addr) = line.strip_prefix("igflight serving Flight on grpc://") {
                break addr.trim().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            addr,
            stderr,
            reader: Some(reader),
            _data: data,
        }
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// Its exit status (within `limit`) and all it wrote on stderr.
    fn exit_within(&mut self, limit: Duration) -> (ExitStatus, String) {
        let status = self.child.exit_within(limit);
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (status, self.stderr.lock().unwrap().clone())
    }
}

/// The first account of the simulator's data set (the same for every process of seed 42).
async fn first_account() -> String {
    let sim = common::start_sim(SimConfig::default()).await;
    let id = sim.dataset().accounts[0].id.clone();
    sim.shutdown().await;
    id
}

/// `user_media` of `account` two posts a page: one Graph call (slowed by the simulator's latency)
/// per two rows.
fn slow_ticket(account: &str) -> Ticket {
    Ticket::new(json!({"report": "user_media", "account": account, "page_size": 2}).to_string())
}

async fn check(health: &mut HealthClient<Channel>, service: &str) -> Result<i32, tonic::Status> {
    health
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .map(|r| r.into_inner().status)
}

const SERVING: i32 = ServingStatus::Serving as i32;
const NOT_SERVING: i32 = ServingStatus::NotServing as i32;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_stream_lets_it_finish_and_exits_0() {
    let account = first_account().await;
    let (_sim, url) = simulate(&["--latency-ms", "100", "--media", "40"]);
    let mut server = Server::start(
        &["--graph-url", &url, "--shutdown-grace", "60s"],
        Some("demo-token"),
    );
    let channel = server.channel().await;
    let mut health = HealthClient::new(channel.clone());
    assert_eq!(check(&mut health, "").await.unwrap(), SERVING);
    assert_eq!(
        check(&mut health, &connection_service("default"))
            .await
            .unwrap(),
        SERVING
    );
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(watch.message().await.unwrap().unwrap().status, SERVING);

    let mut client = FlightClient::new(channel);
    let mut stream = client.do_get(slow_ticket(&account)).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    let mut rows = first.num_rows();
    server.child.signal("TERM");
    // the watcher learns the server drains
    let said = tokio::time::timeout(Duration::from_secs(10), watch.message())
        .await
        .expect("a health change within 10 s")
        .unwrap()
        .unwrap();
    assert_eq!(said.status, NOT_SERVING);
    // the stream goes on to its end
    while let Some(batch) = stream.next().await {
        rows += batch.expect("the stream finishes").num_rows();
    }
    assert_eq!(rows, 40, "every row, none cut");
    let (status, err) = server.exit_within(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("draining"), "{err}");
    assert!(err.contains("every stream finished"), "{err}");
    assert!(!err.contains("cut"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_longer_than_the_grace_ends_with_an_error_and_the_server_exits_0() {
    let account = first_account().await;
    let (_sim, url) = simulate(&["--latency-ms", "200", "--media", "100"]);
    let mut server = Server::start(
        &["--graph-url", &url, "--shutdown-grace", "1s"],
        Some("demo-token"),
    );
    let mut client = FlightClient::new(server.channel().await);
    let mut stream = client.do_get(slow_ticket(&account)).await.unwrap();
    let mut rows = stream.next().await.unwrap().unwrap().num_rows();
    let signalled = Instant::now();
    server.child.signal("TERM");
    let error = loop {
        match stream.next().await {
            Some(Ok(batch)) => rows += batch.num_rows(),
            Some(Err(e)) => break e,
            None => panic!("the stream ended without an error after {rows} rows"),
        }
    };
    assert!(rows < 100, "{rows}");
    let status = match error {
        arrow_flight::error::FlightError::Tonic(s) => *s,
        other => panic!("{other:?}"),
    };
    assert_eq!(status.code(), Code::Unavailable, "{status}");
    assert!(
        status.message().contains("shutdown grace of 1s")
            && status.message().contains("incomplete"),
        "{status}"
    );
    let (exit, err) = server.exit_within(Duration::from_secs(15));
    assert_eq!(exit.code(), Some(0), "{err}");
    assert!(signalled.elapsed() >= Duration::from_secs(1));
    assert!(err.contains("shutdown grace over"), "{err}");
    assert!(err.contains("cut 1 stream still running"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_cuts_the_streams_at_once() {
    let account = first_account().await;
    let (_sim, url) = simulate(&["--latency-ms", "200", "--media", "100"]);
    let mut server = Server::start(
        &["--graph-url", &url, "--shutdown-grace", "10m"],
        Some("demo-token"),
    );
    let mut client = FlightClient::new(server.channel().await);
    let mut stream = client.do_get(slow_ticket(&account)).await.unwrap();
    stream.next().await.unwrap().unwrap();
    server.child.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    server.child.signal("INT");
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => continue,
            Some(Err(e)) => break e,
            None => panic!("the stream ended without an error"),
        }
    };
    assert!(
        format!("{error:?}").contains("it was stopped at once"),
        "{error:?}"
    );
    let (exit, err) = server.exit_within(Duration::from_secs(15));
    assert_eq!(exit.code(), Some(0), "{err}");
    assert!(err.contains("second signal"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_drains_too() {
    let mut server = Server::start(&["--demo"], None);
    let mut health = HealthClient::new(server.channel().await);
    assert_eq!(
        check(&mut health, &connection_service("demo"))
            .await
            .unwrap(),
        SERVING
    );
    server.child.signal("INT");
    let (status, err) = server.exit_within(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(
        err.contains("shutting down") && err.contains("SIGINT"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_needs_no_credentials_when_flight_does() {
    let server = Server::start(&["--demo", "--auth-token", "flight-TOKEN-123"], None);
    let channel = server.channel().await;
    let mut health = HealthClient::new(channel.clone());
    assert_eq!(check(&mut health, "").await.unwrap(), SERVING);
    assert_eq!(
        check(&mut health, &connection_service("demo"))
            .await
            .unwrap(),
        SERVING
    );
    let unknown = check(&mut health, "igflight.connection.nosuch")
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    // Flight itself still wants the token
    let mut flight = FlightClient::new(channel);
    let refused = flight
        .do_action(Action::new("health", ""))
        .await
        .err()
        .expect("refused without credentials");
    assert!(
        format!("{refused:?}").contains("Unauthenticated"),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_takes_only_its_connection_out_until_a_new_token() {
    let sim = common::start_sim(SimConfig::default()).await;
    let shop = Served::new(Arc::new(ReportContext::new(common::client(&sim)))).named("shop");
    let old_client = igflight::graph::GraphClient::builder("expired-token")
        .base_url(sim.base_url())
        .retry(common::fast_retry(2))
        .build()
        .unwrap();
    let old = Served::new(Arc::new(ReportContext::new(old_client))).named("old");
    // a connection whose stored expiry passes in 4 s
    let soon = Served::new(Arc::new(ReportContext::new(common::client(&sim))))
        .named("soon")
        .expiring(Some(chrono::Utc::now().timestamp() + 4));
    let service = IgFlightService::with_connections(
        Connections::new(vec![shop.clone(), old.clone(), soon.clone()]).unwrap(),
    );
    let server = FlightServerHandle::start_with(
        service,
        "127.0.0.1:0".parse().unwrap(),
        ServeOptions::default(),
    )
    .await
    .unwrap();
    let channel = Channel::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel.clone());
    for name in ["shop", "old", "soon"] {
        assert_eq!(
            check(&mut health, &connection_service(name)).await.unwrap(),
            SERVING,
            "{name}"
        );
    }
    // the Graph API refuses the old token
    let mut flight = FlightClient::new(channel);
    let pages = |c: &str| Ticket::new(json!({"report": "pages", "connection": c}).to_string());
    let e = flight
        .do_get(pages("old"))
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("Unauthenticated"), "{e:?}");
    let old_name = connection_service("old");
    wait_for(&mut health, &old_name, NOT_SERVING).await;
    assert_eq!(check(&mut health, "").await.unwrap(), SERVING);
    let shop_name = connection_service("shop");
    assert_eq!(check(&mut health, &shop_name).await.unwrap(), SERVING);
    // the other connection still reads
    let rows: Vec<_> = flight
        .do_get(pages("shop"))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(rows.iter().map(|b| b.num_rows()).sum::<usize>() > 0);
    // the expiry of `soon` passes without any call
    wait_for(&mut health, &connection_service("soon"), NOT_SERVING).await;
    // a new token (as the token watcher adopts one): SERVING again
    old.ctx
        .graph
        .replace_token(igflight::graph::Secret::new(sim.token()));
    old.token_replaced();
    wait_for(&mut health, &old_name, SERVING).await;
    let rows: Vec<_> = flight
        .do_get(pages("old"))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(rows.iter().map(|b| b.num_rows()).sum::<usize>() > 0);
    assert_eq!(check(&mut health, &old_name).await.unwrap(), SERVING);
    server.shutdown().await;
}

/// Wait (at most 10 s) until `service` has `status`.
async fn wait_for(health: &mut HealthClient<Channel>, service: &str, status: i32) {
    let start = Instant::now();
    loop {
        let now = check(health, service).await.unwrap();
        if now == status {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{service} is still {now}, not {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn serve_on_a_busy_port_exits_1_naming_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--demo", "--listen", &addr])
        .env("IGFLIGHT_DATA_DIR", data.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "error: could not listen on {addr}: the address is in use"
        )) && err.contains("--listen"),
        "{err}"
    );
}

#[test]
fn simulate_ends_cleanly_on_sigterm_and_sigint() {
    for signal in ["TERM", "INT"] {
        let (mut sim, _url) = simulate(&[]);
        sim.signal(signal);
        let status = sim.exit_within(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "SIG{signal}: {status:?}");
    }
}

#[test]
fn simulate_on_a_busy_port_exits_1_naming_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args(["simulate", "--listen", &addr])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "error: could not listen on {addr}: the address is in use"
        )),
        "{err}"
    );
}

#[test]
fn a_bad_shutdown_grace_is_a_usage_error() {
    for (value, says) in [
        (
            "soon",
            "`soon` is not a duration; accepted: e.g. 30s, 2m, 0s",
        ),
        ("2h", "`2h` is longer than the accepted 1h"),
    ] {
        let out = Command::new(BIN)
            .args(["serve", "--demo", "--shutdown-grace", value])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--shutdown-grace") && err.contains(says),
            "{err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_an_export_without_a_partial_file() {
    let account = first_account().await;
    let (_sim, url) = simulate(&["--latency-ms", "150"]);
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let path = dir.path().join("media.arrow");
    let ticket = json!({"report": "user_media", "account": account, "page_size": 2});
    let mut child = Child(
        Command::new(BIN)
            .args([
                "export",
                "--graph-url",
                &url,
                "--ticket",
                &ticket.to_string(),
            ])
            .arg("--output")
            .arg(&path)
            .env("IGFLIGHT_ACCESS_TOKEN", "demo-token")
            .env("IGFLIGHT_DATA_DIR", data.path())
            .env_remove("IGFLIGHT_STATE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    // the partial file exists: the export is writing
    while std::fs::read_dir(dir.path()).unwrap().next().is_none() {
        assert!(start.elapsed() < Duration::from_secs(30), "no partial file");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    child.signal("TERM");
    let status = child.exit_within(Duration::from_secs(10));
    let mut err = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(143), "{err}");
    assert!(err.trim_end().ends_with("error: terminated"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The repository's own files.
fn repo_file(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn the_systemd_unit_verifies() {
    let unit = std::fs::read_to_string(repo_file("deploy/igflight.service")).unwrap();
    // what operators rely on, whether or not systemd-analyze is here
    for line in [
        "KillSignal=SIGTERM",
        "StateDirectory=igflight",
        "Environment=IGFLIGHT_DATA_DIR=/var/lib/igflight",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "DynamicUser=yes",
        "EnvironmentFile=/etc/igflight/igflight.env",
    ] {
        assert!(unit.lines().any(|l| l == line), "missing `{line}`");
    }
    let secs = |key: &str| -> u64 {
        let v = unit
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key}"));
        humantime::parse_duration(v.trim()).unwrap().as_secs()
    };
    let exec = unit
        .lines()
        .find(|l| l.starts_with("ExecStart="))
        .expect("an ExecStart line");
    let grace = exec
        .split_whitespace()
        .skip_while(|w| *w != "--shutdown-grace")
        .nth(1)
        .expect("ExecStart sets --shutdown-grace");
    let grace = humantime::parse_duration(grace).unwrap().as_secs();
    assert!(
        secs("TimeoutStopSec=") > grace,
        "TimeoutStopSec must exceed the grace, or systemd kills the drain"
    );
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: systemd-analyze is not installed; the unit's lines were checked");
        return;
    }
    // verify needs ExecStart's program to exist: a copy of the unit pointing at the built binary
    let dir = tempfile::tempdir().unwrap();
    let program = exec
        .trim_start_matches("ExecStart=")
        .split_whitespace()
        .next()
        .unwrap();
    let copy = dir.path().join("igflight.service");
    std::fs::write(&copy, unit.replace(program, BIN)).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // verify exits 0 on some warnings: none may name the unit
    assert!(!err.contains("igflight.service"), "{err}");
}

#[cfg(unix)]
#[test]
fn the_container_entrypoint_refuses_all_interfaces_without_credentials() {
    let script = repo_file("deploy/docker-entrypoint.sh");
    let data = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut cmd = Command::new("sh");
        cmd.arg(&script)
            .args(args)
            .env("IGFLIGHT_BIN", BIN)
            .env("IGFLIGHT_DATA_DIR", data.path())
            .env_remove("IGFLIGHT_AUTH_TOKENS")
            .env_remove("IGFLIGHT_AUTH_FILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    };
    let out = run(&[], &["serve", "--demo"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("0.0.0.0:50051")
            && err.contains("IGFLIGHT_AUTH_TOKENS")
            && err.contains("IGFLIGHT_AUTH_FILE"),
        "{err}"
    );
    // other commands pass through untouched
    let out = run(&[], &["--version"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("igflight "));
    // with a token it serves on all interfaces (a free port here), and SIGTERM ends it with 0
    let mut child = Child(
        run(
            &[
                ("IGFLIGHT_AUTH_TOKENS", "entry-TOKEN-1"),
                ("IGFLIGHT_LISTEN", "0.0.0.0:0"),
            ],
            &["serve", "--demo"],
        )
        .spawn()
        .unwrap(),
    );
    let line = BufReader::new(child.0.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .find(|l| l.starts_with("igflight serving Flight on"))
        .expect("it serves");
    assert!(line.contains("grpc://0.0.0.0:"), "{line}");
    child.signal("TERM");
    assert_eq!(child.exit_within(Duration::from_secs(15)).code(), Some(0));
}
