//! Medians and percentiles of latency samples.

use serde_json::{json, Value};
use std::time::Duration;

/// Summary of samples in microseconds.
pub fn summary(samples: &mut [Duration]) -> Value {
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let pick =
        |q: f64| samples.get(((samples.len() as f64 - 1.0) * q).round() as usize).copied().map(us).unwrap_or(0.0);
    let mean = samples.iter().copied().map(us).sum::<f64>() / samples.len().max(1) as f64;
    json!({"n": samples.len(), "median_us": pick(0.5).round(), "p99_us": pick(0.99).round(), "min_us": pick(0.0).round(),
        "mean_us": mean.round()})
}
