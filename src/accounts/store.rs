//! The account store: `accounts.json` in the config folder, holding the stored connections.
//!
//! * Folder: `IGFLIGHT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/igflight`, else `$HOME/.config/igflight`;
//!   created with mode 0700.
//! * File: JSON (`{"version":1,"connections":[…]}`), mode 0600, written atomically (a temporary file
//!   with a random name in the same folder, created exclusively by `tempfile`, fsync, rename, fsync
//!   of the folder). Writers hold an exclusive lock on
//!   the folder for their whole read-modify-write, so two commands renewing at once do not lose an
//!   update.
//! * A damaged file is an error that names it; it is never overwritten: every command that would write
//!   refuses until the user fixes or removes it.
//! * Tokens are [`Secret`]s: `Debug` of a [`Connection`] never shows one, and nothing here prints one.

use std::fmt;
use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::graph::LinkedPage;

use crate::graph::Secret;

/// The environment variable naming the config folder.
pub const CONFIG_DIR_ENV: &str = "IGFLIGHT_CONFIG_DIR";
/// The store's file name inside the config folder.
pub const STORE_FILE: &str = "accounts.json";

/// The lock file next to it, locked while the store is read, changed and written.
const LOCK_FILE: &str = ".accounts.lock";
const STORE_VERSION: u32 = 1;

/// Why the store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No config folder could be determined.
    #[error(
        "no config folder: set {CONFIG_DIR_ENV} (or XDG_CONFIG_HOME or HOME) to where igflight may keep its stored accounts"
    )]
    NoConfigDir,
    /// The file exists but is not a valid account store. It is left as it is.
    #[error(
        "the account store {path} is damaged ({detail}); it was left untouched: fix it, or move it away to start \
         with no stored accounts (`igflight accounts add/login` will then create a new one)"
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// An I/O failure on a file of the store.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + use<> {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}

/// One stored connection: a Graph access token and what it was found to reach.
#[derive(Clone, Serialize, Deserialize)]
pub struct Connection {
    /// The name the user gave it (`igflight accounts add NAME`).
    pub name: String,
    /// The Graph access token.
    #[serde(with = "secret_serde")]
    pub token: Secret,
    /// The Facebook user id of the token.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The Facebook user's name.
    #[serde(default)]
    pub user_name: Option<String>,
    /// When the token expires (unix seconds); `None` when unknown or never.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Whether `expires_at: None` means "never expires" (debug_token said 0) rather than unknown.
    #[serde(default)]
    pub never_expires: bool,
    /// When this token was obtained and stored (unix seconds).
    pub issued_at: i64,
    /// The Facebook app the token belongs to (login, debug_token), needed to renew it.
    #[serde(default)]
    pub app_id: Option<String>,
    /// The permissions granted, when known.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The pages (and linked Instagram accounts) the token reached when last checked.
    #[serde(default)]
    pub pages: Vec<LinkedPage>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("name", &self.name)
            .field("token", &self.token)
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("expires_at", &self.expires_at)
            .field("never_expires", &self.never_expires)
            .field("issued_at", &self.issued_at)
            .field("app_id", &self.app_id)
            .field("scopes", &self.scopes)
            .field("pages", &self.pages)
            .finish()
    }
}

impl Connection {
    /// Seconds until the token expires (negative: expired); `None` when unknown or never.
    pub fn seconds_left(&self, now: i64) -> Option<i64> {
        self.expires_at.map(|e| e.saturating_sub(now))
    }

    /// Whether the token is known to have expired.
    pub fn is_expired(&self, now: i64) -> bool {
        self.seconds_left(now).is_some_and(|s| s <= 0)
    }

    /// The Instagram business accounts reached, as `@username (id)`.
    pub fn ig_accounts(&self) -> Vec<String> {
        self.pages
            .iter()
            .filter_map(|p| {
                let id = p.ig_user_id.as_deref()?;
                Some(match &p.ig_username {
                    Some(u) => format!("@{u} ({id})"),
                    None => id.to_string(),
                })
            })
            .collect()
    }
}

mod secret_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::graph::Secret;

    pub fn serialize<S: Serializer>(s: &Secret, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Secret, D::Error> {
        let s = String::deserialize(de)?;
        if s.trim().is_empty() {
            return Err(serde::de::Error::custom("empty token"));
        }
        Ok(Secret::new(s))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    version: u32,
    #[serde(default)]
    connections: Vec<Connection>,
}

/// The config folder: `IGFLIGHT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/igflight`, else
/// `$HOME/.config/igflight`.
pub fn config_dir() -> Result<PathBuf, StoreError> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = var(CONFIG_DIR_ENV) {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = var("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(d).join("igflight"));
    }
    if let Some(h) = var("HOME") {
        return Ok(PathBuf::from(h).join(".config").join("igflight"));
    }
    Err(StoreError::NoConfigDir)
}

/// The stored connections of one config folder.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    connections: Vec<Connection>,
}

impl Store {
    /// The store of the default config folder ([`config_dir`]).
    pub fn open_default() -> Result<Store, StoreError> {
        Store::open(&config_dir()?)
    }

    /// Read the store of `dir` (no file yet: no connections). A damaged file is an error.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join(STORE_FILE);
        let connections = match fs::read(&path) {
            Ok(bytes) => parse(&path, &bytes)?,
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io("read", &path)(e)),
        };
        if let Ok(meta) = fs::metadata(&path)
            && open_to_others(&meta)
        {
            tracing::warn!(
                path = %path.display(),
                "the account store is readable by other users; it will be made private (0600) on the next write \
                 (or run `chmod 600` on it)"
            );
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            connections,
        })
    }

    /// The file of this store.
    pub fn path(&self) -> PathBuf {
        self.dir.join(STORE_FILE)
    }

    /// The stored connections, in the order they were added.
    pub fn connections(&self) -> &[Connection] {
        &self.connections
    }

    /// The connection called `name`.
    pub fn get(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.name == name)
    }

    /// The stored names, comma separated (or `none`).
    pub fn names(&self) -> String {
        if self.connections.is_empty() {
            "none".to_string()
        } else {
            self.connections
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// Read-modify-write under the store lock: `f` changes the connections (read fresh from the file
    /// after taking the lock), then the store is written atomically, unless `f` fails.
    pub fn update<T, E>(
        dir: &Path,
        f: impl FnOnce(&mut Vec<Connection>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        ensure_dir(dir)?;
        // An exclusive lock on a lock file in the folder, held for the read-modify-write (a lock file
        // rather than the folder itself: a folder cannot be opened as a file on Windows).
        let lock_path = dir.join(LOCK_FILE);
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("open", &lock_path))?;
        lock.lock().map_err(io("lock", &lock_path))?;
        let mut store = Store::open(dir)?;
        let out = f(&mut store.connections)?;
        store.save()?;
        drop(lock);
        Ok(out)
    }

    fn save(&self) -> Result<(), StoreError> {
        ensure_dir(&self.dir)?;
        let path = self.path();
        let file = StoreFile {
            version: STORE_VERSION,
            connections: self.connections.clone(),
        };
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| StoreError::Io {
            action: "encode",
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        bytes.push(b'\n');
        // A new file with a random name (`O_EXCL`, mode 0600: the `tempfile` crate) in the same folder,
        // renamed over the store: a file or symlink planted under a predictable name is never followed.
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{STORE_FILE}.tmp-"))
            .tempfile_in(&self.dir)
            .map_err(io("create a temporary file in", &self.dir))?;
        let tmp_path = tmp.path().to_path_buf();
        tmp.write_all(&bytes).map_err(io("write", &tmp_path))?;
        tmp.as_file().sync_all().map_err(io("sync", &tmp_path))?;
        // on failure the temporary file is removed when `tmp` is dropped
        tmp.persist(&path)
            .map_err(|e| io("replace", &path)(e.error))?;
        // The rename is durable once the folder is synced (Unix: a folder opens as a file there).
        #[cfg(unix)]
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Vec<Connection>, StoreError> {
    let damaged = |detail: String| StoreError::Damaged {
        path: path.to_path_buf(),
        detail,
    };
    let file: StoreFile = serde_json::from_slice(bytes).map_err(|e| {
        damaged(format!(
            "not a valid account store: {}",
            without_strings(&e.to_string())
        ))
    })?;
    if file.version != STORE_VERSION {
        return Err(damaged(format!(
            "version {} is not supported (this igflight reads version {STORE_VERSION})",
            file.version
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for c in &file.connections {
        if !seen.insert(c.name.as_str()) {
            return Err(damaged(format!("the name `{}` appears twice", c.name)));
        }
    }
    Ok(file.connections)
}

/// `text` with the content of every `"…"` replaced by `…`: a decode error may quote a value of the
/// file, which may be a token.
fn without_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for ch in text.chars() {
        if ch == '"' {
            if inside {
                out.push_str("…\"");
            } else {
                out.push('"');
            }
            inside = !inside;
        } else if !inside {
            out.push(ch);
        }
    }
    out
}

/// Whether a file's or folder's permissions let users other than its owner in. Unix modes only:
/// elsewhere (Windows) the folder's ACLs decide, which this does not read (false).
pub fn open_to_others(meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o077 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// Make a folder its owner's only (0700 on Unix; elsewhere it keeps the ACLs it inherited).
fn make_private(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Create the config folder (0700) if needed.
fn ensure_dir(dir: &Path) -> Result<(), StoreError> {
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {
            if open_to_others(&m) {
                make_private(dir).map_err(io("make private", dir))?;
            }
            Ok(())
        }
        Ok(_) => Err(StoreError::Io {
            action: "use",
            path: dir.to_path_buf(),
            source: std::io::Error::other("not a folder"),
        }),
        Err(_) => {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(io("create", dir))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;

    fn conn(name: &str) -> Connection {
        Connection {
            name: name.into(),
            token: Secret::new("EAAGsecretvalue"),
            user_id: Some("1".into()),
            user_name: None,
            expires_at: Some(100),
            never_expires: false,
            issued_at: 0,
            app_id: None,
            scopes: vec![],
            pages: vec![],
        }
    }

    #[test]
    fn debug_redacts_the_token() {
        let d = format!("{:?}", conn("a"));
        assert!(!d.contains("secretvalue"), "{d}");
    }

    #[cfg(unix)]
    #[test]
    fn round_trip_private_and_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("cfg");
        Store::update(&d, |c| {
            c.push(conn("a"));
            Ok::<_, StoreError>(())
        })
        .unwrap();
        let s = Store::open(&d).unwrap();
        assert_eq!(s.connections().len(), 1);
        assert_eq!(s.get("a").unwrap().token.expose(), "EAAGsecretvalue");
        let mode = fs::metadata(s.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = fs::metadata(&d).unwrap().permissions().mode() & 0o777;
        assert_eq!(dmode, 0o700);
        let names: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.contains("tmp")), "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_temporary_file_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let victim = d.join("victim");
        fs::write(&victim, "keep me").unwrap();
        // the names the old writer used were predictable: plant a few
        for suffix in [std::process::id().to_string(), "0".into()] {
            std::os::unix::fs::symlink(&victim, d.join(format!(".{STORE_FILE}.tmp-{suffix}")))
                .unwrap();
        }
        Store::update(d, |c| {
            c.push(conn("a"));
            Ok::<_, StoreError>(())
        })
        .unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
        let meta = fs::symlink_metadata(d.join(STORE_FILE)).unwrap();
        assert!(meta.file_type().is_file());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn damaged_file_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STORE_FILE);
        fs::write(&path, b"{ not json").unwrap();
        let e = Store::open(dir.path()).unwrap_err();
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        let r = Store::update(dir.path(), |c| {
            c.push(conn("a"));
            Ok::<_, StoreError>(())
        });
        assert!(matches!(r, Err(StoreError::Damaged { .. })));
        assert_eq!(fs::read(&path).unwrap(), b"{ not json");
    }
}
