//! `opendevbrowser-bench`: measures the hub side by side with the floor on this machine
//! and prints a table (and JSON to `target/bench/results.json`). Not a test: it asserts
//! nothing, it reports numbers.

mod relay_bench;
mod stats;
mod system_bench;

use serde_json::{json, Value};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let mut results = serde_json::Map::new();
    let steps: Vec<(&str, Value)> = vec![
        ("relay_throughput", relay_bench::throughput(quick).await),
        ("event_fan_in", relay_bench::event_fan_in(quick).await),
        ("lease_handover", relay_bench::lease_handover(quick).await),
        ("hub_memory", system_bench::memory().await),
        ("extension", system_bench::extension(quick).await),
        ("evaluate_round_trip", system_bench::evaluate_round_trip(quick).await),
    ];
    for (name, value) in steps {
        print_section(name, &value);
        results.insert(name.to_owned(), value);
    }
    results.insert("machine".into(), machine());
    let out = system_tests::workspace().join("target/bench");
    std::fs::create_dir_all(&out).expect("target/bench");
    let path = out.join("results.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&Value::Object(results)).unwrap()).expect("write results");
    println!("\nJSON written to {}", path.display());
}

fn print_section(name: &str, value: &Value) {
    println!("\n## {name}");
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                println!("  {k:<36} {v}");
            }
        }
        other => println!("  {other}"),
    }
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|c| {
        c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
    });
    let chromium = std::process::Command::new("chromium")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    json!({"cpu": cpu, "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), "chromium": chromium})
}
