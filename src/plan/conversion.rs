//! Which insights calls a `media_insights` run makes next while the business-conversion boundary is
//! not known (pure: `insights.rs` makes the calls and feeds their outcomes back).
//!
//! Every post older than the account's last conversion to a business account fails with 2108006, and
//! a multi-id call fails whole when one of its media fails, so a call is both a request for data and a
//! question "is the oldest media in it past the conversion?". The media are ordered by time across all
//! metric sets (newest first) and the boundary lies between `lo` (the media newer than the oldest one
//! that answered: they cannot fail) and the first media known to fail. The plan:
//!
//! - **Certain** chunks (up to `per_call` media of one metric set, all newer than a media that
//!   answered) cannot fail for the conversion: asked at once.
//! - While the listing is still coming and nothing failed yet, a **full** chunk is asked whole, the one
//!   whose oldest media is newest first: the common account (no media from before a conversion) costs
//!   what it would without a search.
//! - When the listing is complete and nothing failed yet, the chunk holding the oldest media: if it
//!   answers, every media is past the conversion (no search at all).
//! - Once a media is known to fail, each probe is the chunk of one metric set whose oldest media lies
//!   nearest a point 2/5 into the uncertain range, preferring a set's natural next chunk (its newest
//!   `per_call` media, which the run must ask anyway). An answer is data and moves `lo` older; a failure
//!   moves the boundary newer. So the search costs about log2 of the uncertain media, and most probes
//!   return rows.
//!
//! Measured on the simulator's two accounts of 300 media with a conversion boundary at every third
//! position (`cargo bench --bench workload`'s accounts, modelled): about 11 calls per account where
//! knowing the boundary would take 5, against 13 for a search inside the first group that fails.

use std::collections::BTreeMap;

/// How far into the uncertain range a probe aims (2/5: an answer there is likelier than a failure,
/// and answers are data).
const AIM: f64 = 0.4;
/// How much nearer, as a share of the uncertain range, a set's natural next chunk counts (it is a call
/// the run makes anyway, so asking it as a probe costs nothing extra when it answers).
const NATURAL_BONUS: f64 = 0.3;

/// One media waiting for its insights: the metric set it is asked with (any small number) and when it
/// was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// Its metric set: only media of one set share a call.
    pub set: usize,
    /// When it was posted (Unix seconds).
    pub ts: i64,
}

/// The next calls: indices into the waiting list.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Chunks that cannot fail for the conversion (asked at once).
    pub certain: Vec<Vec<usize>>,
    /// The chunk whose answer moves the boundary.
    pub probe: Option<Vec<usize>>,
}

#[cfg(test)]
impl Plan {
    /// Nothing to ask now.
    pub fn is_empty(&self) -> bool {
        self.certain.is_empty() && self.probe.is_none()
    }
}

/// What the run knows when it plans.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    /// The oldest media that answered (every newer one is past the conversion).
    pub floor: Option<i64>,
    /// Whether a media is known to fail (the waiting list holds none older than it).
    pub cutoff: bool,
    /// Whether every media that may be past the conversion is listed (the listing is done, or it
    /// reached media older than the cutoff).
    pub closed: bool,
    /// Media per call.
    pub per_call: usize,
}

/// Plan the next calls for `waiting`, sorted newest first (ties in listing order), holding no media
/// at or before a known cutoff.
pub fn plan(waiting: &[Waiting], k: Known) -> Plan {
    let per_call = k.per_call.max(1);
    let hi = waiting.len();
    let lo = k
        .floor
        .map_or(0, |f| waiting.iter().take_while(|w| w.ts >= f).count());
    // each set's media, newest first, in the order the sets first appear
    let mut order: Vec<usize> = Vec::new();
    let mut sets: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, w) in waiting.iter().enumerate() {
        sets.entry(w.set)
            .or_insert_with(|| {
                order.push(w.set);
                Vec::new()
            })
            .push(i);
    }
    let mut plan = Plan::default();
    // certain chunks; the rest of each set stays for the probe
    let mut rest: Vec<&[usize]> = Vec::with_capacity(order.len());
    for set in &order {
        let mut p: &[usize] = &sets[set];
        while let Some(chunk) = p.get(..per_call.min(p.len()))
            && !chunk.is_empty()
            && chunk[chunk.len() - 1] < lo
            && (k.closed || chunk.len() == per_call)
        {
            plan.certain.push(chunk.to_vec());
            p = &p[chunk.len()..];
        }
        if !p.is_empty() {
            rest.push(p);
        }
    }
    if lo >= hi || rest.is_empty() {
        return plan;
    }
    plan.probe = if !k.closed {
        // the full chunk whose oldest media is newest
        rest.iter()
            .filter(|p| p.len() >= per_call)
            .map(|p| &p[..per_call])
            .min_by_key(|c| c[c.len() - 1])
            .map(<[usize]>::to_vec)
    } else if !k.cutoff {
        // the last chunk of the set holding the oldest media
        let oldest = hi - 1;
        rest.iter().find(|p| p.contains(&oldest)).map(|p| {
            let start = (p.len() - 1) / per_call * per_call;
            p[start..].to_vec()
        })
    } else {
        aim(&rest, lo, hi, per_call)
    };
    plan
}

/// The probe nearest the aim point of `[lo, hi)`: for each set its natural next chunk, its newest and
/// its oldest `per_call` media at or before the aim point.
fn aim(rest: &[&[usize]], lo: usize, hi: usize, per_call: usize) -> Option<Vec<usize>> {
    let span = (hi - lo) as f64;
    let mid = lo + (span * AIM) as usize;
    let mut best: Option<(f64, &[usize])> = None;
    for p in rest {
        let below = p.partition_point(|&i| i <= mid);
        let q = &p[..below];
        let mut options: Vec<&[usize]> = vec![&p[..per_call.min(p.len())]];
        if !q.is_empty() {
            options.push(&q[..per_call.min(q.len())]);
            options.push(&q[q.len().saturating_sub(per_call)..]);
        }
        for c in options {
            let tail = c[c.len() - 1];
            if tail < lo {
                continue;
            }
            let natural = c.len() == per_call.min(p.len());
            let score =
                tail.abs_diff(mid) as f64 - if natural { NATURAL_BONUS * span } else { 0.0 };
            if best.is_none_or(|(s, _)| score < s) {
                best = Some((score, c));
            }
        }
    }
    best.map(|(_, c)| c.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `kinds` newest first, one set per letter; media `i` was posted at `1000 - i`.
    fn waiting(kinds: &str) -> Vec<Waiting> {
        kinds
            .bytes()
            .enumerate()
            .map(|(i, c)| Waiting {
                set: usize::from(c - b'a'),
                ts: 1000 - i as i64,
            })
            .collect()
    }

    fn known(floor: Option<i64>, cutoff: bool, closed: bool, per_call: usize) -> Known {
        Known {
            floor,
            cutoff,
            closed,
            per_call,
        }
    }

    /// Run the plan against a boundary: media `[0, b)` answer, the others fail. Returns the calls made
    /// and checks that every media before `b` answered exactly once and none after was asked
    /// successfully.
    fn search(kinds: &str, b: usize, per_call: usize) -> usize {
        let all = waiting(kinds);
        let mut answered = vec![0u32; all.len()];
        let mut floor = None;
        let mut cutoff: Option<i64> = None;
        let mut calls = 0;
        for _ in 0..10_000 {
            // the waiting list: not answered, newer than the cutoff
            let idx: Vec<usize> = (0..all.len())
                .filter(|&i| answered[i] == 0 && cutoff.is_none_or(|c| all[i].ts > c))
                .collect();
            let w: Vec<Waiting> = idx.iter().map(|&i| all[i]).collect();
            let p = plan(&w, known(floor, cutoff.is_some(), true, per_call));
            if p.is_empty() {
                break;
            }
            let mut chunks: Vec<(bool, Vec<usize>)> =
                p.certain.into_iter().map(|c| (false, c)).collect();
            chunks.extend(p.probe.map(|c| (true, c)));
            for (probe, c) in chunks {
                calls += 1;
                let media: Vec<usize> = c.iter().map(|&j| idx[j]).collect();
                assert!(media.len() <= per_call);
                assert!(media.iter().all(|&m| all[m].set == all[media[0]].set));
                let oldest = *media.iter().max().unwrap();
                if oldest < b {
                    for &m in &media {
                        answered[m] += 1;
                    }
                    let ts = all[oldest].ts;
                    floor = Some(floor.map_or(ts, |f: i64| f.min(ts)));
                } else {
                    assert!(probe, "a certain chunk failed");
                    let ts = all[oldest].ts;
                    cutoff = Some(cutoff.map_or(ts, |c: i64| c.max(ts)));
                }
            }
        }
        for (i, n) in answered.iter().enumerate() {
            assert_eq!(*n, u32::from(i < b), "media {i} (boundary {b})");
        }
        calls
    }

    /// Calls when the boundary is known: one per `per_call` media of each set before it.
    fn oracle(kinds: &str, b: usize, per_call: usize) -> usize {
        let mut per_set: BTreeMap<u8, usize> = BTreeMap::new();
        for c in kinds.bytes().take(b) {
            *per_set.entry(c).or_default() += 1;
        }
        per_set.values().map(|n| n.div_ceil(per_call)).sum()
    }

    fn mixed(n: usize) -> String {
        // four sets in uneven shares, interleaved like a real account's posts
        (0..n)
            .map(|i| match (i * 7 + i / 3) % 9 {
                0..=3 => 'a',
                4 | 5 => 'b',
                6 | 7 => 'c',
                _ => 'd',
            })
            .collect()
    }

    #[test]
    fn without_a_conversion_it_costs_what_knowing_would() {
        for n in [1, 7, 50, 51, 120, 300] {
            let kinds = mixed(n);
            assert_eq!(search(&kinds, n, 50), oracle(&kinds, n, 50), "{n} media");
        }
    }

    #[test]
    fn every_boundary_is_found_with_every_media_before_it_answered_once() {
        let kinds = mixed(300);
        let mut total = 0;
        let mut worst = 0;
        for b in 0..=300 {
            let calls = search(&kinds, b, 50);
            let extra = calls - oracle(&kinds, b, 50);
            total += extra;
            worst = worst.max(extra);
        }
        // the search costs about log2(300) ≈ 8 calls more than knowing the boundary, not one per media
        // (measured: worst 9, mean 6.25)
        let mean = total as f64 / 301.0;
        assert!(worst <= 9, "worst extra {worst}");
        assert!(mean <= 6.5, "mean extra {mean}");
    }

    #[test]
    fn small_calls_work_too() {
        let kinds = mixed(40);
        for b in 0..=40 {
            search(&kinds, b, 1);
            search(&kinds, b, 3);
        }
    }

    #[test]
    fn while_listing_only_full_chunks_are_asked_the_newest_ending_first() {
        let w = waiting("aabababbbaa");
        let p = plan(&w, known(None, false, false, 3));
        assert!(p.certain.is_empty());
        // a: 0,1,3 (oldest at 3); b: 2,4,6 (oldest at 6)
        assert_eq!(p.probe, Some(vec![0, 1, 3]));
        // after a media answered at index 3, a's next full chunk is not certain (its oldest is older)
        let p = plan(&w, known(Some(w[3].ts), false, false, 3));
        assert_eq!(p.certain, vec![vec![0, 1, 3]]);
        assert_eq!(p.probe, Some(vec![2, 4, 6]));
    }

    #[test]
    fn a_complete_listing_without_failures_first_asks_the_oldest_media() {
        let w = waiting("aabababbbab");
        let p = plan(&w, known(None, false, true, 3));
        // b: 2,4,6,7,8,10 in chunks of 3: the last chunk holds the oldest media (10)
        assert_eq!(p.probe, Some(vec![7, 8, 10]));
        // it answered: everything is certain
        let p = plan(&w, known(Some(w[10].ts), false, true, 3));
        assert_eq!(p.probe, None);
        assert_eq!(p.certain.iter().map(Vec::len).sum::<usize>(), 11);
    }

    #[test]
    fn nothing_waiting_plans_nothing() {
        assert!(plan(&[], known(None, true, true, 50)).is_empty());
        assert!(plan(&[], known(None, false, false, 50)).is_empty());
    }
}
