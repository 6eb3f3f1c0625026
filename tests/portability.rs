//! The crate compiles for macOS and Windows as far as its source can show it (only Linux targets are
//! installed here): every Unix-only API (`std::os::unix`, `tokio::signal::unix`) sits under
//! `#[cfg(unix)]`, and nothing reads `/dev/urandom` (randomness comes from `getrandom`/`rand`).

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn unix_only_apis_are_behind_cfg_unix() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 50, "{} files", files.len());
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("/dev/urandom") {
                bad.push(format!("{}:{}: reads /dev/urandom", f.display(), i + 1));
            }
            if !(code.contains("std::os::unix") || code.contains("signal::unix")) {
                continue;
            }
            // a `#[cfg(unix)]` on the statement or block a few lines above, or on the enclosing fn
            let cfg = |l: &&str| l.contains("#[cfg(unix)]") || l.contains("#[cfg(all(unix");
            let near = lines[i.saturating_sub(8)..=i].iter().any(cfg);
            let item = (0..=i).rev().find(|&j| {
                let t = lines[j].trim_start();
                [
                    "fn ",
                    "pub fn ",
                    "pub(crate) fn ",
                    "async fn ",
                    "pub async fn ",
                    "mod ",
                ]
                .iter()
                .any(|k| t.starts_with(k))
            });
            let on_fn = item.is_some_and(|j| lines[j.saturating_sub(3)..j].iter().any(cfg));
            let guarded = near || on_fn;
            if !guarded {
                bad.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "Unix-only code without #[cfg(unix)]:\n{}",
        bad.join("\n")
    );
}
