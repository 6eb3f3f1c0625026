//! `igflight completions` and `igflight man`, generated from the command line's definition: every
//! shell's script is produced (and checked by the shell when it is installed), and the pages name
//! every command.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_igflight");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// Whether `cmd` can be run here.
fn installed(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn completions_for_every_shell_parse() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, checker, needle) in [
        ("bash", Some("bash"), "_igflight()"),
        ("zsh", Some("zsh"), "#compdef igflight"),
        ("fish", Some("fish"), "complete -c igflight"),
        ("elvish", None, "igflight"),
        ("powershell", None, "igflight"),
    ] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(needle), "{shell}: {script:.200}");
        // every command and a flag of each are offered
        for word in ["serve", "export", "sync", "print-config", "connection"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
        if let Some(checker) = checker.filter(|c| installed(c)) {
            let path = dir.path().join(format!("igflight.{shell}"));
            std::fs::write(&path, &script).unwrap();
            let flag = if checker == "fish" {
                "--no-execute"
            } else {
                "-n"
            };
            let check = Command::new(checker).arg(flag).arg(&path).output().unwrap();
            assert!(
                check.status.success(),
                "{shell}: {}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[possible values: bash"));
}

#[test]
fn the_manual_names_every_command() {
    let out = run(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH igflight 1"), "{page:.300}");
    for command in ["serve", "simulate", "export", "sql", "accounts", "sync"] {
        assert!(
            page.contains(&format!("igflight\\-{command}(1)")),
            "{command}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let serve = std::fs::read_to_string(dir.path().join("igflight-serve.1")).unwrap();
    assert!(serve.contains("\\-\\-listen"), "{serve:.500}");
    assert!(dir.path().join("igflight-sync-run.1").exists());
}
