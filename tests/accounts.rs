//! `igflight accounts …` and `--connection NAME` as processes, against an in-process simulated Graph
//! API, each test with its own config folder (`IGFLIGHT_CONFIG_DIR`).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use igflight::sim::{SimConfig, SimHandle};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_igflight");
const DAY: i64 = 86_400;

struct Env {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    sim: SimHandle,
    /// Every stdout/stderr seen, to check that no token was printed.
    seen: std::sync::Mutex<Vec<String>>,
}

impl Env {
    async fn new(cfg: SimConfig) -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("config");
        Env {
            _tmp: tmp,
            dir,
            sim: common::start_sim(cfg).await,
            seen: Default::default(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("IGFLIGHT_CONFIG_DIR", &self.dir)
            // the call ledger of this test only, never the user's
            .env("IGFLIGHT_DATA_DIR", self._tmp.path().join("data"))
            .env_remove("IGFLIGHT_STATE")
            .env("IGFLIGHT_GRAPH_URL", self.sim.base_url())
            .env_remove("IGFLIGHT_ACCESS_TOKEN")
            .env_remove("IGFLIGHT_APP_SECRET")
            .env_remove("IGFLIGHT_APP_ID")
            .env_remove("IGFLIGHT_LOGIN_PORT")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        c
    }

    async fn run(&self, args: &[&str]) -> Output {
        let out = tokio::time::timeout(Duration::from_secs(60), self.command(args).output())
            .await
            .expect("command timed out")
            .unwrap();
        self.record(&out);
        out
    }

    fn record(&self, out: &Output) {
        let mut seen = self.seen.lock().unwrap();
        seen.push(String::from_utf8_lossy(&out.stdout).into_owned());
        seen.push(String::from_utf8_lossy(&out.stderr).into_owned());
    }

    fn path(&self) -> PathBuf {
        self.dir.join("accounts.json")
    }

    fn store(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.path()).unwrap()).unwrap()
    }

    fn conn(&self, name: &str) -> Value {
        self.store()["connections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no connection {name}"))
    }

    /// Write a store file by hand (one connection per entry).
    fn write_store(&self, conns: Value) {
        std::fs::create_dir_all(&self.dir).unwrap();
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(
            self.path(),
            serde_json::to_vec(&json!({"version": 1, "connections": conns})).unwrap(),
        )
        .unwrap();
        std::fs::set_permissions(self.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    fn first_ig(&self) -> String {
        self.sim.dataset().accounts[0].id.clone()
    }

    /// `igflight serve ARGS --listen 127.0.0.1:0` (stderr dropped), and a channel to it once it listens.
    async fn serve(&self, args: &[&str]) -> (tokio::process::Child, tonic::transport::Channel) {
        let mut child = self
            .command(&[&["serve", "--listen", "127.0.0.1:0"], args].concat())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(l) = lines.next_line().await.unwrap() {
                if let Some(a) = l.strip_prefix("igflight serving Flight on grpc://") {
                    return a.to_string();
                }
            }
            panic!("serve ended without listening");
        })
        .await
        .expect("serve starts");
        // keep reading stdout, so the server never blocks on a full pipe
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        (child, channel)
    }

    /// No command printed any of these tokens.
    fn assert_no_token(&self, tokens: &[&str]) {
        for out in self.seen.lock().unwrap().iter() {
            for t in tokens {
                assert!(!out.contains(t), "a token appears in the output: {out}");
            }
        }
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_list_reconnect_remove() {
    let env = Env::new(SimConfig::default()).await;
    let out = env
        .run(&["accounts", "add", "work", "--token", "demo-token"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(s.contains("@northside_roasters"), "{s}");
    assert!(s.contains("expires in"), "{s}");
    assert!(s.contains("Stored connection `work`"), "{s}");

    // Private, atomic: 0600 file in a 0700 folder, no temporary file left (only the lock file), valid
    // JSON.
    assert_eq!(mode(&env.path()), 0o600);
    assert_eq!(mode(&env.dir), 0o700);
    assert_eq!(files(&env.dir), vec![".accounts.lock", "accounts.json"]);
    let c = env.conn("work");
    assert_eq!(c["token"], "demo-token");
    assert_eq!(c["user_name"], "Demo Owner");
    assert!(c["expires_at"].as_i64().unwrap() > now() + 50 * DAY);
    assert!(!c["pages"].as_array().unwrap().is_empty());

    // The token from an environment variable, with the app (debug_token).
    let mut cmd = env.command(&[
        "accounts",
        "add",
        "second",
        "--token-env",
        "MY_TOKEN",
        "--app-id",
        "demo-app",
        "--app-secret",
        "demo-secret",
    ]);
    cmd.env("MY_TOKEN", "demo-token");
    let out = cmd.output().await.unwrap();
    env.record(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.conn("second")["app_id"], "demo-app");
    assert!(
        env.conn("second")["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "instagram_basic")
    );

    // The same name twice is refused.
    let out = env
        .run(&["accounts", "add", "work", "--token", "demo-token"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("accounts reconnect work"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["accounts", "list"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(s.contains("work  Demo Owner"), "{s}");
    assert!(s.contains("second  Demo Owner"), "{s}");
    assert!(
        s.contains("2 Instagram accounts: @northside_roasters"),
        "{s}"
    );
    assert!(s.contains("expires in 5"), "{s}");
    let out = env.run(&["accounts", "list", "--json"]).await;
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert!(v[0].get("token").is_none());

    // Reconnect replaces the token of an existing connection (here: a fresh long-lived one).
    let fresh = reqwest::get(format!(
        "{}/v15.0/oauth/access_token?grant_type=fb_exchange_token&client_id=demo-app&client_secret=demo-secret&fb_exchange_token=demo-token",
        env.sim.base_url()
    ))
    .await
    .unwrap()
    .json::<Value>()
    .await
    .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut cmd = env.command(&["accounts", "reconnect", "work", "--token-stdin"]);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(format!("{fresh}\n").as_bytes())
            .await
            .unwrap();
    }
    let out = child.wait_with_output().await.unwrap();
    env.record(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Reconnected connection `work`"));
    assert_eq!(env.conn("work")["token"], fresh.as_str());

    // Reconnecting or removing an unknown name lists the stored ones.
    let out = env
        .run(&["accounts", "reconnect", "nope", "--token", "demo-token"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("stored: work, second"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["accounts", "remove", "nope"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("stored: work, second"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["accounts", "remove", "second"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["accounts", "list"]).await;
    assert!(!stdout(&out).contains("second"));
    assert!(stdout(&out).contains("work"));
    assert_eq!(files(&env.dir), vec![".accounts.lock", "accounts.json"]);
    assert_eq!(mode(&env.path()), 0o600);

    // A bad name is refused before anything else.
    let out = env
        .run(&["accounts", "add", "a b", "--token", "demo-token"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a connection name"));

    env.assert_no_token(&["demo-token", &fresh]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_store_is_named_and_never_overwritten() {
    let env = Env::new(SimConfig::default()).await;
    std::fs::create_dir_all(&env.dir).unwrap();
    let damaged = b"{\"version\":1,\"connections\":[{\"name\":\"x\",\"token\":\"EAAGsecret";
    std::fs::write(env.path(), damaged).unwrap();
    let path = env.path().display().to_string();
    for args in [
        vec!["accounts", "add", "work", "--token", "demo-token"],
        vec!["accounts", "list"],
        vec!["accounts", "remove", "x"],
        vec!["sql", "--connection", "x", "SELECT id FROM user"],
    ] {
        let out = env.run(&args).await;
        assert!(!out.status.success(), "{args:?}");
        let e = stderr(&out);
        assert!(e.contains(&path) && e.contains("damaged"), "{args:?}: {e}");
        assert!(e.lines().count() == 1, "{e}");
        assert_eq!(std::fs::read(env.path()).unwrap(), damaged);
    }
    env.assert_no_token(&["EAAGsecret", "demo-token"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_an_expired_token_says_to_get_a_new_one() {
    let env = Env::new(SimConfig::default()).await;
    for extra in [
        vec![],
        vec!["--app-id", "demo-app", "--app-secret", "demo-secret"],
    ] {
        let mut args = vec!["accounts", "add", "old", "--token", "expired-token"];
        args.extend(extra);
        let out = env.run(&args).await;
        assert_eq!(out.status.code(), Some(1));
        let e = stderr(&out);
        assert!(e.contains("invalid or expired"), "{e}");
        assert!(e.contains("igflight accounts reconnect old"), "{e}");
        assert!(e.contains("igflight accounts login old"), "{e}");
        assert!(!env.path().exists());
    }
    env.assert_no_token(&["expired-token"]);
}

/// The redirect listener's port is fixed by default (Facebook matches redirect URIs exactly); a busy
/// one fails at once, saying how to pick another.
#[tokio::test]
async fn login_listens_on_a_fixed_port_and_says_so_when_it_is_busy() {
    let env = Env::new(SimConfig::default()).await;
    let help = env
        .command(&["accounts", "login", "--help"])
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(
        help.contains("http://127.0.0.1:8765/callback") && help.contains("[default: 8765]"),
        "{help}"
    );
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = env
        .command(&[
            "accounts",
            "login",
            "main",
            "--app-id",
            "demo-app",
            "--app-secret",
            "demo-secret",
            "--no-browser",
            "--port",
            &port,
        ])
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("could not listen on 127.0.0.1:{port}"))
            && err.contains("pass --port N"),
        "{err}"
    );
}

/// The login, with the test as the browser: GET the printed dialog URL and follow the redirect to the
/// local listener. Every call must carry appsecret_proof (the simulator requires it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_end_to_end_then_sql_with_the_connection() {
    let env = Env::new(SimConfig {
        require_appsecret_proof: true,
        ..SimConfig::default()
    })
    .await;
    let base = env.sim.base_url();
    let mut cmd = env.command(&[
        "accounts",
        "login",
        "main",
        "--app-id",
        "demo-app",
        "--app-secret",
        "demo-secret",
        "--no-browser",
        "--dialog-url",
        &base,
        "--timeout-secs",
        "60",
        // any free port: the simulator accepts any redirect, and tests run in parallel
        "--port",
        "0",
    ]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    let url = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("no dialog URL printed")
            .unwrap()
            .expect("login ended before printing the dialog URL");
        printed.push_str(&line);
        printed.push('\n');
        if line.starts_with("http") {
            break line;
        }
    };
    assert!(
        url.starts_with(&format!("{base}/v15.0/dialog/oauth?")),
        "{url}"
    );
    for part in [
        "client_id=demo-app",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A",
        "state=",
        "scope=instagram_basic%2Cinstagram_manage_insights%2Cpages_show_list%2Cpages_read_engagement%2Cinstagram_manage_comments",
    ] {
        assert!(url.contains(part), "{part} not in {url}");
    }
    // A forged callback (wrong state) is ignored.
    let redirect = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    let forged = reqwest::get(format!("{redirect}?code=forged&state=wrong"))
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    // The browser: the dialog redirects to the local listener.
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("received the login"));
    while let Some(line) = lines.next_line().await.unwrap() {
        printed.push_str(&line);
        printed.push('\n');
    }
    let out = child.wait_with_output().await.unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{printed}{err}");
    assert!(printed.contains("Stored connection `main`"), "{printed}");
    assert!(printed.contains("@northside_roasters"), "{printed}");
    env.seen.lock().unwrap().extend([printed.clone(), err]);

    let c = env.conn("main");
    let token = c["token"].as_str().unwrap().to_string();
    assert_ne!(token, "demo-token");
    assert_eq!(c["app_id"], "demo-app");
    let left = c["expires_at"].as_i64().unwrap() - now();
    assert!((59 * DAY..=60 * DAY + 60).contains(&left), "{left}");
    assert_eq!(mode(&env.path()), 0o600);

    // The stored long-lived token reads data.
    let ig = env.first_ig();
    let out = env
        .run(&[
            "sql",
            "--connection",
            "main",
            "--app-secret",
            "demo-secret",
            "--account",
            &ig,
            "--format",
            "json",
            "SELECT id, username FROM user",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("northside_roasters"),
        "{}",
        stdout(&out)
    );
    // And export, with the only stored connection picked without --connection.
    let file = env.dir.join("media.jsonl");
    let ticket = json!({"report": "user_media", "account": ig, "limit": 5}).to_string();
    let out = env
        .run(&[
            "export",
            "--app-secret",
            "demo-secret",
            "--ticket",
            &ticket,
            "--output",
            file.to_str().unwrap(),
            "--quiet",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 5);

    env.assert_no_token(&[&token, "demo-token", "demo-secret"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_connection_is_refused_with_the_reconnect_command() {
    let env = Env::new(SimConfig::default()).await;
    env.write_store(json!([{
        "name": "old", "token": "demo-token", "user_id": "1", "user_name": "Old",
        "expires_at": now() - DAY, "issued_at": now() - 61 * DAY, "pages": []
    }]));
    let ig = env.first_ig();
    let out = env
        .run(&[
            "sql",
            "--connection",
            "old",
            "--account",
            &ig,
            "SELECT id FROM user",
        ])
        .await;
    assert!(!out.status.success());
    let e = stderr(&out);
    assert!(
        e.contains("expired on") && e.contains("igflight accounts reconnect old"),
        "{e}"
    );

    let out = env
        .run(&["serve", "--connection", "old", "--listen", "127.0.0.1:0"])
        .await;
    assert!(!out.status.success());
    let e = stderr(&out);
    assert!(e.contains("igflight accounts reconnect old"), "{e}");

    let out = env.run(&["accounts", "list"]).await;
    let s = stdout(&out);
    assert!(
        s.contains("expired on") && s.contains("igflight accounts reconnect old"),
        "{s}"
    );

    // An unknown name lists the stored ones.
    let out = env
        .run(&["sql", "--connection", "nope", "SELECT id FROM user"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("stored: old"), "{}", stderr(&out));
    env.assert_no_token(&["demo-token"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_close_to_expiry_warns() {
    let env = Env::new(SimConfig::default()).await;
    env.write_store(json!([
        {"name": "soon", "token": "demo-token", "expires_at": now() + 3 * DAY + 600, "issued_at": now() - 57 * DAY},
        {"name": "fine", "token": "demo-token", "expires_at": now() + 30 * DAY + 600, "issued_at": now()},
        {"name": "unk", "token": "demo-token", "expires_at": null, "issued_at": now()}
    ]));
    let out = env.run(&["accounts", "list"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    let line = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(&format!("{name}  ")))
            .unwrap_or_else(|| panic!("{name} not listed: {s}"))
            .to_string()
    };
    assert!(line("soon").contains("WARNING: expires in 3 days"), "{s}");
    assert!(line("fine").contains("expires in 30 days"), "{s}");
    assert!(!line("fine").contains("WARNING"), "{s}");
    assert!(line("unk").contains("expiry unknown"), "{s}");

    let ig = env.first_ig();
    let out = env
        .run(&[
            "sql",
            "--connection",
            "soon",
            "--account",
            &ig,
            "SELECT id FROM user",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("expires in 3 days"),
        "{}",
        stderr(&out)
    );
    env.assert_no_token(&["demo-token"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_replaces_an_old_token() {
    let env = Env::new(SimConfig {
        require_appsecret_proof: true,
        ..SimConfig::default()
    })
    .await;
    let conn = |name: &str| {
        json!({"name": name, "token": "demo-token", "expires_at": now() + 58 * DAY, "issued_at": now() - 2 * DAY,
               "app_id": "demo-app", "pages": []})
    };
    env.write_store(json!([conn("a"), conn("b")]));

    // `accounts renew`.
    let out = env
        .run(&["accounts", "renew", "a", "--app-secret", "demo-secret"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Renewed connection `a`"),
        "{}",
        stdout(&out)
    );
    let a = env.conn("a");
    let renewed = a["token"].as_str().unwrap().to_string();
    assert_ne!(renewed, "demo-token");
    assert!(a["issued_at"].as_i64().unwrap() >= now() - 60);
    assert!(a["expires_at"].as_i64().unwrap() > now() + 59 * DAY);
    assert_eq!(mode(&env.path()), 0o600);
    assert_eq!(files(&env.dir), vec![".accounts.lock", "accounts.json"]);

    // Without the app secret nothing is renewed at start (and the proof-requiring simulator refuses).
    let ig = env.first_ig();
    let sql = [
        "sql",
        "--connection",
        "b",
        "--account",
        &ig,
        "SELECT id FROM user",
    ];
    let out = env.run(&sql).await;
    assert!(!out.status.success());
    assert_eq!(env.conn("b")["token"], "demo-token");

    // With it: renewed at the start of sql, and the new token reads data.
    let mut args = sql.to_vec();
    args.extend(["--app-secret", "demo-secret"]);
    let out = env.run(&args).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&ig));
    let b = env.conn("b");
    let b_token = b["token"].as_str().unwrap().to_string();
    assert_ne!(b_token, "demo-token");
    assert!(b["issued_at"].as_i64().unwrap() >= now() - 60);

    // A token issued less than a day ago is not renewed again.
    let out = env.run(&args).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.conn("b")["token"], b_token.as_str());

    env.assert_no_token(&["demo-token", &renewed, &b_token, "demo-secret"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_a_connection_shows_its_expiry_in_the_accounts_action() {
    let env = Env::new(SimConfig::default()).await;
    let expires = now() + 20 * DAY;
    env.write_store(json!([
        {"name": "main", "token": "demo-token", "expires_at": expires, "issued_at": now()}
    ]));
    let (mut child, channel) = env.serve(&["--connection", "main"]).await;
    let mut client = arrow_flight::FlightClient::new(channel);
    let mut results = client
        .do_action(arrow_flight::Action::new("accounts", ""))
        .await
        .unwrap();
    use futures::StreamExt;
    let body = results.next().await.expect("one result").unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    let shown = v["token_expires_at"]
        .as_str()
        .unwrap_or_else(|| panic!("no expiry: {v}"));
    assert_eq!(shown, igflight::accounts::utc(expires));
    assert!(
        !v.to_string().contains("demo-token"),
        "no token in the action's answer"
    );
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_names_the_connection_to_reconnect() {
    let env = Env::new(SimConfig::default()).await;
    // not expired by date, but the Graph API refuses the token (code 190)
    env.write_store(json!([
        {"name": "shop", "token": "expired-token", "expires_at": now() + 20 * DAY, "issued_at": now()}
    ]));
    let ig = env.first_ig();
    let out = env
        .run(&[
            "sql",
            "--connection",
            "shop",
            "--account",
            &ig,
            "SELECT id FROM user",
        ])
        .await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("igflight accounts reconnect shop"), "{err}");
    env.assert_no_token(&["expired-token"]);
}

/// The values that must never show: in a log line, an error, or a response.
fn assert_absent(what: &str, text: &str, secrets: &[(&str, &str)]) {
    for (name, secret) in secrets {
        if let Some(i) = text.find(secret) {
            let from = text[..i].rfind('\n').map_or(0, |n| n + 1);
            let to = text[i..].find('\n').map_or(text.len(), |n| i + n);
            panic!("the {name} appears in {what}: {}", &text[from..to]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_server_run_shows_no_graph_token_or_app_secret() {
    use arrow_flight::{Action, FlightClient, Ticket};
    use futures::{StreamExt, TryStreamExt};
    use hmac::{Hmac, Mac};
    use igflight::sim::FaultKind;

    const GRAPH_TOKEN: &str = "GRAPHTOKEN-5e1b7c0d9a";
    const APP_SECRET: &str = "APPSECRET-7f3a9c2e41";
    const CLIENT_TOKEN: &str = "CLIENTTOKEN-all-83f2";
    const SHOP_CLIENT: &str = "CLIENTTOKEN-shop-19ad";
    let env = Env::new(SimConfig {
        token: GRAPH_TOKEN.into(),
        app_secret: APP_SECRET.into(),
        require_appsecret_proof: true,
        fault_rate: 0.3,
        faults: vec![
            FaultKind::Http500Code2,
            FaultKind::Code1,
            FaultKind::Html503,
            FaultKind::DropConnection,
        ],
        ..SimConfig::default()
    })
    .await;
    let proof = {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
        mac.update(GRAPH_TOKEN.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    };
    // `shop` is two days old: with the app secret it is renewed at start (an exchange whose URL
    // carries the token and the secret); `old` holds a token the Graph API refuses (code 190).
    env.write_store(json!([
        {"name": "shop", "token": GRAPH_TOKEN, "app_id": "demo-app",
         "expires_at": now() + 50 * DAY, "issued_at": now() - 2 * DAY},
        {"name": "old", "token": "expired-token", "app_id": "demo-app",
         "expires_at": now() + 20 * DAY, "issued_at": now() - 2 * DAY}
    ]));
    let auth_file = env.dir.join("clients.auth");
    std::fs::write(
        &auth_file,
        format!("# clients\ntoken {CLIENT_TOKEN}\ntoken {SHOP_CLIENT} shop\n"),
    )
    .unwrap();
    std::fs::set_permissions(&auth_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let log_path = env.dir.join("serve.log");
    let out_path = env.dir.join("serve.out");

    // every stored connection (no --connection), trace logging, authentication from the file
    let mut child = env
        .command(&[
            "serve",
            "-vv",
            "--listen",
            "127.0.0.1:0",
            "--auth-file",
            auth_file.to_str().unwrap(),
        ])
        .env("IGFLIGHT_APP_SECRET", APP_SECRET)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let out = std::fs::read_to_string(&out_path).unwrap_or_default();
            if let Some(a) = out
                .lines()
                .find_map(|l| l.strip_prefix("igflight serving Flight on grpc://"))
            {
                return a.to_string();
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "serve ended ({status}): {}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("serve starts");
    let out = std::fs::read_to_string(&out_path).unwrap();
    assert!(out.contains("igflight connections: shop, old"), "{out}");

    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let ig = env.first_ig();
    // everything a client is told: statuses (message and metadata), action bodies, summaries
    let mut answers: Vec<String> = Vec::new();
    let status_text =
        |s: &tonic::Status| format!("{:?} {} {:?}", s.code(), s.message(), s.metadata());
    let as_status = |e: arrow_flight::error::FlightError| match e {
        arrow_flight::error::FlightError::Tonic(s) => *s,
        other => panic!("expected a status, got {other:?}"),
    };
    async fn read(
        c: &mut FlightClient,
        t: String,
    ) -> Result<usize, arrow_flight::error::FlightError> {
        let batches: Vec<_> = c.do_get(Ticket::new(t)).await?.try_collect().await?;
        Ok(batches.iter().map(|b| b.num_rows()).sum())
    }
    async fn refused(c: &mut FlightClient, t: String) -> tonic::Status {
        match read(c, t).await {
            Err(arrow_flight::error::FlightError::Tonic(s)) => *s,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    // 1. no credentials: refused
    let mut anon = FlightClient::new(channel.clone());
    let e = refused(&mut anon, r#"{"report":"pages"}"#.into()).await;
    assert_eq!(e.code(), tonic::Code::Unauthenticated);
    answers.push(status_text(&e));

    let mut c = FlightClient::new(channel.clone());
    c.add_header("authorization", &format!("Bearer {CLIENT_TOKEN}"))
        .unwrap();
    // 2. a report over the faulty Graph API: retried to the full count
    let media = read(
        &mut c,
        format!(r#"{{"report":"user_media","account":"{ig}","connection":"shop"}}"#),
    )
    .await
    .unwrap();
    let expected = env.sim.dataset().accounts[0].media.len();
    assert_eq!(media, expected);
    // 3. the failing token: UNAUTHENTICATED, naming the command that fixes it
    let e = refused(
        &mut c,
        format!(r#"{{"report":"user","account":"{ig}","connection":"old"}}"#),
    )
    .await;
    assert_eq!(e.code(), tonic::Code::Unauthenticated, "{e:?}");
    assert!(
        e.message().contains("igflight accounts reconnect old"),
        "{e:?}"
    );
    answers.push(status_text(&e));
    // 4. refused requests: a bad ticket, a connection the client may not read
    let e = refused(&mut c, r#"{"report":"nope"}"#.into()).await;
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    answers.push(status_text(&e));
    let mut shop = FlightClient::new(channel.clone());
    shop.add_header("authorization", &format!("Bearer {SHOP_CLIENT}"))
        .unwrap();
    let e = refused(
        &mut shop,
        format!(r#"{{"report":"user","account":"{ig}","connection":"old"}}"#),
    )
    .await;
    assert_eq!(e.code(), tonic::Code::PermissionDenied);
    answers.push(status_text(&e));
    // 5. the actions a client sees
    for (action, body) in [("accounts", "shop"), ("health", ""), ("list-reports", "")] {
        let mut results = c.do_action(Action::new(action, body)).await.unwrap();
        while let Some(r) = results.next().await {
            answers.push(String::from_utf8_lossy(&r.unwrap()).into_owned());
        }
    }
    let e = c
        .do_action(Action::new("accounts", "old"))
        .await
        .err()
        .unwrap();
    answers.push(status_text(&as_status(e)));

    child.kill().await.unwrap();
    let _ = child.wait().await;
    let log = std::fs::read_to_string(&log_path).unwrap();
    let out = std::fs::read_to_string(&out_path).unwrap();

    // the run did what it should be tested for
    assert!(
        log.contains("TRACE") && log.contains("DEBUG"),
        "trace logging on"
    );
    assert!(
        log.contains("Graph call failed, retrying"),
        "retries happened"
    );
    assert!(env.sim.stats().faults_injected > 0);
    assert!(log.contains("PermissionDenied") || log.contains("connection refused"));
    let renewed = env.conn("shop")["token"].as_str().unwrap().to_string();
    assert_ne!(renewed, GRAPH_TOKEN, "the old token was renewed at start");

    let secrets = [
        ("Graph token", GRAPH_TOKEN),
        ("renewed Graph token", renewed.as_str()),
        ("refused Graph token", "expired-token"),
        ("app secret", APP_SECRET),
        ("appsecret_proof", proof.as_str()),
        ("client token", CLIENT_TOKEN),
        ("limited client token", SHOP_CLIENT),
    ];
    assert_absent("the server's log", &log, &secrets);
    assert_absent("the server's output", &out, &secrets);
    for a in &answers {
        assert_absent("an answer to a client", a, &secrets);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_ticket_naming_a_connection_uses_it() {
    let env = Env::new(SimConfig::default()).await;
    env.write_store(json!([
        {"name": "shop", "token": "demo-token", "expires_at": now() + 40 * DAY, "issued_at": now()},
        {"name": "old", "token": "expired-token", "expires_at": now() + 40 * DAY, "issued_at": now()}
    ]));
    let ig = env.first_ig();
    let out_file = env.dir.join("user.json");
    let ticket = format!(r#"{{"report":"user","account":"{ig}","connection":"shop"}}"#);
    let out = env
        .run(&[
            "export",
            "--ticket",
            &ticket,
            "--output",
            out_file.to_str().unwrap(),
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read_to_string(&out_file).unwrap().contains(&ig));

    // the ticket and the flag disagree; the ticket names a connection under --demo
    for extra in [&["--connection", "old"][..], &["--demo"][..]] {
        let mut args = vec!["export", "--ticket", &ticket, "--output", "x.json"];
        args.extend_from_slice(extra);
        let out = env.run(&args).await;
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = stderr(&out);
        assert!(err.contains("the ticket names connection `shop`"), "{err}");
    }
    // the ticket alone picks `old`, whose token the Graph API refuses: the reconnect command names it
    let ticket = format!(r#"{{"report":"user","account":"{ig}","connection":"old"}}"#);
    let out = env
        .run(&[
            "export",
            "--ticket",
            &ticket,
            "--output",
            out_file.to_str().unwrap(),
        ])
        .await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("igflight accounts reconnect old"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_server_picks_up_a_reconnected_token() {
    use arrow_flight::{FlightClient, Ticket};
    use futures::TryStreamExt;

    let env = Env::new(SimConfig::default()).await;
    // the stored token is refused by the Graph API (revoked, say)
    env.write_store(json!([
        {"name": "shop", "token": "expired-token", "expires_at": now() + 20 * DAY, "issued_at": now()}
    ]));
    let (mut child, channel) = env
        .serve(&["--connection", "shop", "--token-check-secs", "1"])
        .await;
    let mut client = FlightClient::new(channel);
    let ticket = Ticket::new(format!(
        r#"{{"report":"user","account":"{}"}}"#,
        env.first_ig()
    ));
    async fn rows(
        c: &mut FlightClient,
        t: Ticket,
    ) -> Result<usize, arrow_flight::error::FlightError> {
        let batches: Vec<_> = c.do_get(t).await?.try_collect().await?;
        Ok(batches.iter().map(|b| b.num_rows()).sum())
    }
    let e = rows(&mut client, ticket.clone())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("igflight accounts reconnect shop"), "{e}");

    // the user does what the message says, while the server runs
    let mut cmd = env.command(&["accounts", "reconnect", "shop", "--token-env", "NEW_TOKEN"]);
    cmd.env("NEW_TOKEN", "demo-token");
    let out = cmd.output().await.unwrap();
    env.record(&out);
    assert!(out.status.success(), "{}", stderr(&out));

    // within a few checks the server uses the new token, without a restart
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        match rows(&mut client, ticket.clone()).await {
            Ok(rows) => {
                assert_eq!(rows, 1);
                break;
            }
            Err(e) if std::time::Instant::now() < deadline => {
                assert!(e.to_string().contains("reconnect shop"), "{e}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("the server kept the old token: {e}"),
        }
    }
    child.kill().await.unwrap();
    env.assert_no_token(&["demo-token", "expired-token"]);
}
