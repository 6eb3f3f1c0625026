//! The config file as a user meets it: `igflight.toml` in the config folder or `--config FILE`, with
//! flags and environment variables over it (`serve --print-config` shows the outcome).

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_igflight");

fn igflight(config_dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("IGFLIGHT_CONFIG_DIR", config_dir)
        .env("IGFLIGHT_DATA_DIR", config_dir.join("data"))
        .env_remove("IGFLIGHT_ACCESS_TOKEN")
        .env_remove("IGFLIGHT_GRAPH_URL")
        .env_remove("IGFLIGHT_AUTH_TOKENS")
        .env_remove("IGFLIGHT_STATE")
        .env_remove("RUST_LOG");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn flags_then_environment_then_the_file_then_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("igflight.toml"),
        "graph-url = \"http://file.example\"\ncalls-per-hour = 150\nmax-retries = 2\n\
         [serve]\ncalls-per-hour = 120\nauth-token = [\"file-secret-token\"]\n",
    )
    .unwrap();
    let out = igflight(
        dir.path(),
        &["serve", "--print-config", "--max-retries", "4"],
        &[
            ("IGFLIGHT_GRAPH_URL", "http://env.example"),
            ("IGFLIGHT_ACCESS_TOKEN", "EAAGsecret"),
        ],
    );
    let s = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // the flag beats the file; the environment beats the file; [serve] beats the top level
    assert!(s.contains("max-retries = 4  # command line"), "{s}");
    assert!(
        s.contains("graph-url = \"http://env.example\"  # environment"),
        "{s}"
    );
    assert!(s.contains("calls-per-hour = 120  # config file"), "{s}");
    assert!(s.contains("# graph-version = \"v15.0\"  # default"), "{s}");
    // secrets never printed
    assert!(
        s.contains("auth-token = [\"<redacted>\"]  # config file"),
        "{s}"
    );
    assert!(
        !s.contains("file-secret-token") && !s.contains("EAAGsecret"),
        "{s}"
    );
    assert!(s.contains("IGFLIGHT_ACCESS_TOKEN is set"), "{s}");
    assert!(s.contains(&dir.path().join("igflight.toml").display().to_string()));

    // --config names another file, which replaces the folder's
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "[serve]\nmax-retries = 7\n").unwrap();
    let out = igflight(
        dir.path(),
        &[
            "serve",
            "--print-config",
            "--config",
            other.to_str().unwrap(),
        ],
        &[],
    );
    let s = text(&out.stdout);
    assert!(s.contains("max-retries = 7  # config file"), "{s}");
    assert!(s.contains("# calls-per-hour = 200  # default"), "{s}");
}

#[test]
fn serve_listens_where_the_file_says() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        dir.path().join("igflight.toml"),
        format!("[serve]\nlisten = \"127.0.0.1:{port}\"\ndemo = true\n"),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("IGFLIGHT_CONFIG_DIR", dir.path())
        .env_remove("IGFLIGHT_ACCESS_TOKEN")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut serving = None;
    for line in lines {
        let line = line.unwrap();
        if line.contains("serving Flight on") {
            serving = Some(line);
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let line = serving.expect("serve printed where it listens");
    assert!(
        line.ends_with(&format!("grpc://127.0.0.1:{port}")),
        "{line}"
    );
}

#[test]
fn a_wrong_file_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("igflight.toml");
    for (content, needle) in [
        ("[serve]\nlisten = \"nowhere\"\n", "invalid value 'nowhere'"),
        ("lisen = 1\n", "unknown key `lisen`"),
        ("[serve\n", "config file"),
    ] {
        std::fs::write(&file, content).unwrap();
        let out = igflight(dir.path(), &["serve", "--demo"], &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{content}: {err}");
        assert!(
            err.contains(needle) && err.contains(&file.display().to_string()),
            "{content}: {err}"
        );
    }
    // a file named with --config must exist
    let out = igflight(
        dir.path(),
        &["sql", "--config", "/nonexistent/x.toml", "SELECT 1"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("could not read the config file /nonexistent/x.toml"),
        "{}",
        text(&out.stderr)
    );
}
