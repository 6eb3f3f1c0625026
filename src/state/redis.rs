//! The ledger of several machines: a Redis server (`--state redis://host:port[/db]`). Every step that
//! checks and writes is one Lua script (Redis runs a script alone): prune, count, check, add. Keys are
//! `igflight:` plus the token key (a hash) or the account id; cache keys are hashed. Replies are
//! hostile input: their shape is checked and their numbers clamped.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script, Value};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::{
    CallWindow, ConversionMark, HashtagReservation, Ledger, Reservation, StateError, redact_url,
};

/// The prefix of every key.
pub const KEY_PREFIX: &str = "igflight:";
/// How long a connection attempt or one command may take.
const TIMEOUT: Duration = Duration::from_secs(3);
/// The largest cached value read back (a larger one is ignored).
pub const MAX_CACHE_BYTES: usize = 32 << 20;
/// The longest a cached value is kept.
const MAX_CACHE_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Prune, clamp future times, count; then add `n` unique members when they fit (unless dry).
/// KEYS[1] the token's calls; ARGV now, window, n, limit, member prefix, dry (1/0).
/// Returns {granted (1/0), used, fits_at or 0, oldest or 0}.
const RESERVE_CALLS: &str = r"
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local dry = ARGV[6] == '1'
local cut = now - window
if not dry then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', cut)
  local future = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'LIMIT', 0, 100000)
  for _, m in ipairs(future) do redis.call('ZADD', KEYS[1], now, m) end
end
local used = redis.call('ZCOUNT', KEYS[1], '(' .. cut, '+inf')
local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. cut, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local oldest = 0
if first[2] then oldest = math.min(tonumber(first[2]), now) end
if used + n > limit then
  if n > limit then return {0, used, -1, oldest} end
  local idx = used + n - limit - 1
  local r = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. cut, '+inf', 'WITHSCORES', 'LIMIT', idx, 1)
  local t = now
  if r[2] then t = math.min(tonumber(r[2]), now) end
  return {0, used, t + window, oldest}
end
if dry then return {0, used, 0, oldest} end
for i = 1, n do redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. i) end
redis.call('PEXPIRE', KEYS[1], window)
if oldest == 0 then oldest = now end
return {1, used + n, 0, oldest}
";

/// KEYS[1] the account's hashtags (member name, score first search); ARGV now, window, budget, name.
/// Returns {0 reserved | 1 known | 2 full, frees_at or 0}.
const RESERVE_HASHTAG: &str = r"
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return {1, 0} end
if redis.call('ZCARD', KEYS[1]) >= budget then
  local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local t = now
  if r[2] then t = math.min(tonumber(r[2]), now) end
  return {2, t + window}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return {0, 0}
";

/// KEYS[1] the account's conversion hash; ARGV cutoff, floor ('' when unknown).
/// Returns {cutoff or '', floor or ''} after the merge.
const MERGE_CONVERSION: &str = r"
local c = redis.call('HGET', KEYS[1], 'cutoff')
local f = redis.call('HGET', KEYS[1], 'floor')
c = c and tonumber(c)
f = f and tonumber(f)
local nc = ARGV[1] ~= '' and tonumber(ARGV[1]) or nil
local nf = ARGV[2] ~= '' and tonumber(ARGV[2]) or nil
if nc and (not c or nc > c) then c = nc end
if nf and (not f or nf < f) then f = nf end
if c then redis.call('HSET', KEYS[1], 'cutoff', string.format('%d', c)) end
if f then redis.call('HSET', KEYS[1], 'floor', string.format('%d', f)) end
return {c and string.format('%d', c) or '', f and string.format('%d', f) or ''}
";

/// A ledger on a Redis server. The connection is made on first use and made again after a failure.
#[derive(Debug)]
pub struct RedisLedger {
    client: redis::Client,
    /// The URL without user and password.
    shown: String,
    conn: Mutex<Option<MultiplexedConnection>>,
}

/// Check a `redis://` URL (no TLS, a host, a numeric db) without connecting.
pub(crate) fn check_url(url: &str) -> Result<(), StateError> {
    let bad = |why: String| StateError::BadSpec {
        given: redact_url(url),
        why,
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(format!("not a URL: {e}")))?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host".into()));
    }
    let db = parsed.path().trim_start_matches('/');
    if !db.is_empty() && db.parse::<u16>().is_err() {
        return Err(bad(format!(
            "the database `/{}` is not a number",
            crate::telemetry::bounded(db, 20)
        )));
    }
    redis::Client::open(url).map_err(|e| bad(e.to_string()))?;
    Ok(())
}

impl RedisLedger {
    /// A ledger on the Redis server of `url` (checked, not connected yet).
    pub fn new(url: &str) -> Result<RedisLedger, StateError> {
        check_url(url)?;
        let client = redis::Client::open(url).map_err(|e| StateError::BadSpec {
            given: redact_url(url),
            why: e.to_string(),
        })?;
        Ok(RedisLedger {
            client,
            shown: redact_url(url),
            conn: Mutex::new(None),
        })
    }

    fn unavailable(&self, message: impl std::fmt::Display) -> StateError {
        let e = StateError::Unavailable {
            store: self.shown.clone(),
            message: message.to_string(),
        };
        tracing::warn!(store = %self.shown, error = %e, "call ledger step failed");
        e
    }

    /// The connection, made when there is none.
    async fn connection(&self) -> Result<MultiplexedConnection, StateError> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT));
        let conn = tokio::time::timeout(
            TIMEOUT + Duration::from_secs(1),
            self.client
                .get_multiplexed_async_connection_with_config(&config),
        )
        .await
        .map_err(|_| self.unavailable(format!("no answer within {} s", TIMEOUT.as_secs())))?
        .map_err(|e| self.unavailable(format!("cannot connect: {e}")))?;
        tracing::debug!(store = %self.shown, "connected to the Redis ledger");
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Run one step; a failure drops the connection (the next step connects again).
    async fn step<T, F, Fut>(&self, f: F) -> Result<T, StateError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.connection().await?;
        match tokio::time::timeout(TIMEOUT + Duration::from_secs(1), f(conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                *self.conn.lock().await = None;
                Err(self.unavailable(e))
            }
            Err(_) => {
                *self.conn.lock().await = None;
                Err(self.unavailable(format!("no answer within {} s", TIMEOUT.as_secs())))
            }
        }
    }

    /// A reply that is not of the expected shape.
    fn odd(&self, what: &str, v: &Value) -> StateError {
        self.unavailable(format!(
            "unexpected reply to {what}: {}",
            crate::telemetry::bounded(&format!("{v:?}"), 120)
        ))
    }
}

/// `igflight:<kind>:<id>`; an id of other characters than `[A-Za-z0-9:._-]` (or long) is hashed.
pub(crate) fn key(kind: &str, id: &str) -> String {
    let plain = id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'_' | b'-'));
    if plain {
        format!("{KEY_PREFIX}{kind}:{id}")
    } else {
        format!(
            "{KEY_PREFIX}{kind}:h{}",
            hex::encode(Sha256::digest(id.as_bytes()))
        )
    }
}

/// A cache key: always hashed (a caller's key may hold anything, a URL with a token included).
pub(crate) fn cache_key(id: &str) -> String {
    format!(
        "{KEY_PREFIX}cache:{}",
        hex::encode(Sha256::digest(id.as_bytes()))
    )
}

/// Integers of a script's array reply.
fn ints(v: &Value, len: usize) -> Option<Vec<i64>> {
    let Value::Array(items) = v else { return None };
    if items.len() != len {
        return None;
    }
    items
        .iter()
        .map(|i| match i {
            Value::Int(n) => Some(*n),
            _ => None,
        })
        .collect()
}

/// A unique member for a reserved call (several servers may reserve in the same millisecond).
fn member_prefix(now_ms: i64) -> String {
    let mut buf = [0u8; 8];
    let nonce = getrandom::fill(&mut buf)
        .map_or_else(|_| rand::random::<u64>(), |()| u64::from_le_bytes(buf));
    format!("{now_ms}:{nonce:016x}")
}

#[async_trait::async_trait]
impl Ledger for RedisLedger {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    async fn reserve_calls(
        &self,
        key_: &str,
        n: u32,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<Reservation, StateError> {
        let w = self
            .calls_step(key_, n, limit, window_ms, now_ms, false)
            .await?;
        Ok(match w {
            (true, _) => Reservation::Granted,
            (false, w) => Reservation::Full {
                frees_at_ms: w.fits_at_ms.unwrap_or(now_ms),
            },
        })
    }

    async fn calls(
        &self,
        key_: &str,
        n: u32,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<CallWindow, StateError> {
        Ok(self
            .calls_step(key_, n, limit, window_ms, now_ms, true)
            .await?
            .1)
    }

    async fn reserve_hashtag(
        &self,
        account: &str,
        hashtag: &str,
        budget: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<HashtagReservation, StateError> {
        let k = key("hashtags", account);
        let hashtag = hashtag.to_string();
        let v: Value = self
            .step(|mut c| async move {
                Script::new(RESERVE_HASHTAG)
                    .key(k)
                    .arg(now_ms)
                    .arg(window_ms.max(1))
                    .arg(budget)
                    .arg(hashtag)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        let r = ints(&v, 2).ok_or_else(|| self.odd("a hashtag reservation", &v))?;
        let frees = r[1].clamp(now_ms, now_ms.saturating_add(window_ms));
        Ok(match r[0] {
            0 => HashtagReservation::Reserved,
            1 => HashtagReservation::Known,
            2 => HashtagReservation::Full { frees_at_ms: frees },
            _ => return Err(self.odd("a hashtag reservation", &v)),
        })
    }

    async fn release_hashtag(&self, account: &str, hashtag: &str) -> Result<(), StateError> {
        let k = key("hashtags", account);
        let hashtag = hashtag.to_string();
        self.step(|mut c| async move {
            redis::cmd("ZREM")
                .arg(k)
                .arg(hashtag)
                .query_async::<Value>(&mut c)
                .await
        })
        .await
        .map(drop)
    }

    async fn seed_hashtags(
        &self,
        account: &str,
        hashtags: &[String],
        now_ms: i64,
    ) -> Result<(), StateError> {
        if hashtags.is_empty() {
            return Ok(());
        }
        let k = key("hashtags", account);
        let mut cmd = redis::cmd("ZADD");
        cmd.arg(&k).arg("NX");
        for h in hashtags {
            cmd.arg(now_ms).arg(h);
        }
        self.step(|mut c| async move { cmd.query_async::<Value>(&mut c).await })
            .await
            .map(drop)
    }

    async fn hashtags(
        &self,
        account: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<Vec<(String, i64)>, StateError> {
        let k = key("hashtags", account);
        let cut = now_ms.saturating_sub(window_ms);
        let v: Value = self
            .step(|mut c| async move {
                redis::cmd("ZRANGEBYSCORE")
                    .arg(k)
                    .arg(format!("({cut}"))
                    .arg("+inf")
                    .arg("WITHSCORES")
                    .arg("LIMIT")
                    .arg(0)
                    .arg(10_000)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let Value::Array(items) = &v else {
            return Err(self.odd("a hashtag listing", &v));
        };
        let mut out = Vec::new();
        for pair in items.chunks(2) {
            let [name, score] = pair else {
                return Err(self.odd("a hashtag listing", &v));
            };
            let name: String =
                redis::from_redis_value_ref(name).map_err(|_| self.odd("a hashtag listing", &v))?;
            let score: f64 = redis::from_redis_value_ref(score)
                .map_err(|_| self.odd("a hashtag listing", &v))?;
            out.push((name, clamp_ms(score, now_ms)));
        }
        out.sort();
        Ok(out)
    }

    async fn conversion(&self, account: &str) -> Result<ConversionMark, StateError> {
        let k = key("conversion", account);
        let v: Value = self
            .step(|mut c| async move {
                redis::cmd("HMGET")
                    .arg(k)
                    .arg("cutoff")
                    .arg("floor")
                    .query_async(&mut c)
                    .await
            })
            .await?;
        self.mark(&v, "a conversion")
    }

    async fn merge_conversion(
        &self,
        account: &str,
        mark: ConversionMark,
    ) -> Result<ConversionMark, StateError> {
        let k = key("conversion", account);
        let show = |x: Option<i64>| x.map(|v| v.to_string()).unwrap_or_default();
        let (c, f) = (show(mark.cutoff), show(mark.floor));
        let v: Value = self
            .step(|mut conn| async move {
                Script::new(MERGE_CONVERSION)
                    .key(k)
                    .arg(c)
                    .arg(f)
                    .invoke_async(&mut conn)
                    .await
            })
            .await?;
        self.mark(&v, "a conversion update")
    }

    fn shares_cache(&self) -> bool {
        true
    }

    async fn cache_get(&self, key_: &str) -> Result<Option<Vec<u8>>, StateError> {
        let k = cache_key(key_);
        let v: Value = self
            .step(|mut c| async move { redis::cmd("GET").arg(k).query_async(&mut c).await })
            .await?;
        match v {
            Value::Nil => Ok(None),
            Value::BulkString(bytes) if bytes.len() <= MAX_CACHE_BYTES => Ok(Some(bytes)),
            Value::BulkString(bytes) => {
                tracing::warn!(store = %self.shown, bytes = bytes.len(), "a shared cache value is larger than the cap: ignored");
                Ok(None)
            }
            other => Err(self.odd("a cache read", &other)),
        }
    }

    async fn cache_put(&self, key_: &str, bytes: &[u8], ttl: Duration) -> Result<(), StateError> {
        if bytes.len() > MAX_CACHE_BYTES {
            return Ok(());
        }
        let k = cache_key(key_);
        let ttl_ms = u64::try_from(ttl.min(MAX_CACHE_TTL).as_millis())
            .unwrap_or(1)
            .max(1);
        let bytes = bytes.to_vec();
        self.step(|mut c| async move {
            redis::cmd("SET")
                .arg(k)
                .arg(bytes)
                .arg("PX")
                .arg(ttl_ms)
                .query_async::<Value>(&mut c)
                .await
        })
        .await
        .map(drop)
    }
}

impl RedisLedger {
    /// The calls script: (granted, window).
    async fn calls_step(
        &self,
        key_: &str,
        n: u32,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
        dry: bool,
    ) -> Result<(bool, CallWindow), StateError> {
        let k = key("calls", key_);
        let window_ms = window_ms.max(1);
        let prefix = member_prefix(now_ms);
        let v: Value = self
            .step(|mut c| async move {
                Script::new(RESERVE_CALLS)
                    .key(k)
                    .arg(now_ms)
                    .arg(window_ms)
                    .arg(n)
                    .arg(limit)
                    .arg(prefix)
                    .arg(if dry { "1" } else { "0" })
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        let r = ints(&v, 4).ok_or_else(|| self.odd("a call reservation", &v))?;
        let latest = now_ms.saturating_add(window_ms);
        let granted = match r[0] {
            0 => false,
            1 => true,
            _ => return Err(self.odd("a call reservation", &v)),
        };
        let fits_at_ms = match r[2] {
            0 => None,
            -1 => Some(i64::MAX),
            t => Some(t.clamp(now_ms, latest)),
        };
        // a full window with no time (a hostile reply) frees no earlier than now
        let fits_at_ms = if !granted && !dry && fits_at_ms.is_none() {
            Some(now_ms)
        } else {
            fits_at_ms
        };
        Ok((
            granted,
            CallWindow {
                used: u32::try_from(r[1].max(0)).unwrap_or(u32::MAX),
                oldest_leaves_ms: (r[3] > 0).then(|| r[3].min(now_ms).saturating_add(window_ms)),
                fits_at_ms,
            },
        ))
    }

    fn mark(&self, v: &Value, what: &str) -> Result<ConversionMark, StateError> {
        let Value::Array(items) = v else {
            return Err(self.odd(what, v));
        };
        let [c, f] = items.as_slice() else {
            return Err(self.odd(what, v));
        };
        let num = |x: &Value| -> Result<Option<i64>, StateError> {
            match x {
                Value::Nil => Ok(None),
                other => {
                    let s: String =
                        redis::from_redis_value_ref(other).map_err(|_| self.odd(what, v))?;
                    if s.is_empty() {
                        Ok(None)
                    } else {
                        s.parse().map(Some).map_err(|_| self.odd(what, v))
                    }
                }
            }
        };
        Ok(ConversionMark {
            cutoff: num(c)?,
            floor: num(f)?,
        })
    }
}

/// A score read back as unix milliseconds: finite, not in the future.
fn clamp_ms(score: f64, now_ms: i64) -> i64 {
    if score.is_finite() {
        (score as i64).min(now_ms)
    } else {
        now_ms
    }
}
