//! Retry timing, with time and randomness passed in: the extension's reconnect schedule
//! (never gives up) and the hub's readiness wait (bounded by a clamped timeout).

/// A source of jitter: numbers uniformly spread in `[0, 1)`. Injected so schedules are
/// deterministic under test and use real randomness in production.
pub trait JitterSource {
    /// The next number in `[0, 1)`.
    fn next_unit(&mut self) -> f64;
}

impl<F: FnMut() -> f64> JitterSource for F {
    fn next_unit(&mut self) -> f64 {
        self()
    }
}

/// A small seeded generator (SplitMix64) for callers without a platform RNG at hand.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }
}

impl JitterSource for SplitMix {
    fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Exponential backoff: `initial · 2^attempt`, capped at `max`, spread by ±`jitter_pct`%
/// and always kept inside `[initial, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// First delay, and the lower bound of every delay.
    pub initial_ms: u64,
    /// Upper bound of every delay.
    pub max_ms: u64,
    /// Jitter as a percentage of the un-jittered delay (0 = none).
    pub jitter_pct: u8,
}

impl Backoff {
    /// The extension's reconnect backoff: 500 ms doubling to 5 s, ±20 %.
    pub const RECONNECT: Backoff = Backoff { initial_ms: 500, max_ms: 5_000, jitter_pct: 20 };
    /// The hub's readiness poll: 250 ms doubling to 2 s, no jitter (as upstream).
    pub const READINESS: Backoff = Backoff { initial_ms: 250, max_ms: 2_000, jitter_pct: 0 };

    /// The delay before retry number `attempt` (0-based), given a jitter sample in `[0, 1)`.
    pub fn delay_ms(&self, attempt: u32, unit: f64) -> u64 {
        let max = self.max_ms.max(self.initial_ms);
        let base = self.initial_ms.saturating_mul(1u64.checked_shl(attempt.min(63)).unwrap_or(u64::MAX)).min(max);
        let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.5 };
        let spread = base as f64 * f64::from(self.jitter_pct) / 100.0;
        let jittered = base as f64 - spread + 2.0 * spread * unit;
        (jittered.round() as u64).clamp(self.initial_ms, max)
    }
}

/// The extension's reconnect schedule. A relay that went away is usually a hub that is
/// restarting, so after a dropped connection or a refused one the schedule first tries at
/// once, then every [`QUICK_RETRY_MS`] for [`QUICK_RETRIES`] attempts (a restarted hub is
/// paired within that much of listening), and only then backs off. Refusals (a wrong token,
/// a version mismatch) skip the quick phase: asking again at once would not change the
/// answer. It never gives up: callers stop asking when auto-connect is turned off, and
/// [`reset`](Self::reset) it after a successful pairing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconnectSchedule {
    backoff: Backoff,
    quick: u32,
    attempt: u32,
}

/// Quick retries after the relay went away, before the backoff starts.
pub const QUICK_RETRIES: u32 = 40;
/// The spacing of quick retries.
pub const QUICK_RETRY_MS: u64 = 50;

impl ReconnectSchedule {
    /// A schedule that uses `backoff` after the quick phase.
    pub fn new(backoff: Backoff) -> Self {
        ReconnectSchedule { backoff, quick: 0, attempt: 0 }
    }

    /// The time of the next attempt (absolute ms), advancing the schedule: quick retries
    /// first when `relay_went_away` (the first at once), backoff otherwise.
    pub fn next_retry_at(&mut self, now_ms: u64, jitter: &mut dyn JitterSource, relay_went_away: bool) -> u64 {
        if relay_went_away && self.quick < QUICK_RETRIES {
            self.quick += 1;
            return now_ms + if self.quick == 1 { 0 } else { QUICK_RETRY_MS };
        }
        let delay = self.backoff.delay_ms(self.attempt, jitter.next_unit());
        self.attempt = self.attempt.saturating_add(1);
        now_ms.saturating_add(delay)
    }

    /// How many retries have been scheduled since the last reset.
    pub fn attempts(&self) -> u32 {
        self.quick + self.attempt
    }

    /// Back to the first (quickest) delay.
    pub fn reset(&mut self) {
        self.quick = 0;
        self.attempt = 0;
    }
}

impl Default for ReconnectSchedule {
    fn default() -> Self {
        ReconnectSchedule::new(Backoff::RECONNECT)
    }
}

/// The shortest readiness timeout the hub honours; shorter requests are raised to it.
pub const MIN_READINESS_TIMEOUT_MS: u64 = 3_000;

/// Said when a requested readiness timeout had to be raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutClamped {
    /// What the caller asked for.
    pub requested_ms: u64,
    /// What is used instead.
    pub used_ms: u64,
}

impl std::fmt::Display for TimeoutClamped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "wait timeout {} ms is below the {} ms minimum; using {} ms",
            self.requested_ms, MIN_READINESS_TIMEOUT_MS, self.used_ms
        )
    }
}

/// The hub's wait for the extension handshake: polls on [`Backoff::READINESS`] until a
/// deadline, so a brief relay restart inside the timeout does not fail the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadinessWait {
    deadline_ms: u64,
    attempt: u32,
}

impl ReadinessWait {
    /// Starts a wait at `now_ms`; a timeout under 3000 ms is clamped up, with a warning.
    pub fn start(now_ms: u64, requested_timeout_ms: u64) -> (Self, Option<TimeoutClamped>) {
        let used_ms = requested_timeout_ms.max(MIN_READINESS_TIMEOUT_MS);
        let warning =
            (used_ms != requested_timeout_ms).then_some(TimeoutClamped { requested_ms: requested_timeout_ms, used_ms });
        let wait = ReadinessWait { deadline_ms: now_ms.saturating_add(used_ms), attempt: 0 };
        (wait, warning)
    }

    /// When the wait gives up (absolute ms).
    pub fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }

    /// When to poll next, or `None` once the deadline has passed. Never later than the
    /// deadline, so the last poll happens right at it.
    pub fn next_poll_at(&mut self, now_ms: u64) -> Option<u64> {
        if now_ms >= self.deadline_ms {
            return None;
        }
        let delay = Backoff::READINESS.delay_ms(self.attempt, 0.5);
        self.attempt = self.attempt.saturating_add(1);
        Some(now_ms.saturating_add(delay).min(self.deadline_ms))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_deterministic_and_in_unit_range() {
        let mut a = SplitMix::new(7);
        let mut b = SplitMix::new(7);
        for _ in 0..1000 {
            let x = a.next_unit();
            assert_eq!(x, b.next_unit());
            assert!((0.0..1.0).contains(&x));
        }
    }

    #[test]
    fn nan_jitter_does_not_escape_bounds() {
        let d = Backoff::RECONNECT.delay_ms(3, f64::NAN);
        assert!((500..=5_000).contains(&d));
    }
}
