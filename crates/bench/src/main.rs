//! `opendevbrowser-bench`: measures the hub side by side with the floor on this machine
//! and prints a table (and JSON to `target/bench/results.json`). Not a test: it asserts
//! nothing, it reports numbers.

mod agent_bench;
mod agent_tasks;
mod fidelity_bench;
mod fidelity_score;
mod input_bench;
mod launch_bench;
mod paired;
mod relay_bench;
mod remote_bench;
mod rules_bench;
mod stats;
mod system_bench;
mod worker_bench;

use serde_json::{json, Value};

const STEPS: [&str; 14] = [
    "relay_throughput",
    "event_fan_in",
    "lease_handover",
    "hub_memory",
    "extension",
    "evaluate_round_trip",
    "worker_breakdown",
    "parallel_agents",
    "snapshot_economy",
    "snapshot_fidelity",
    "agent_tasks",
    "launch_profile",
    "request_rules",
    "remote_connect",
];

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("usage: opendevbrowser-bench [--quick] [--only <step>]...\nsteps: {}", STEPS.join(", "));
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let only: Vec<&str> = args.windows(2).filter(|w| w[0] == "--only").map(|w| w[1].as_str()).collect();
    if let Some(unknown) = only.iter().find(|o| !STEPS.contains(o)) {
        eprintln!("unknown step {unknown:?}; steps: {}", STEPS.join(", "));
        std::process::exit(2);
    }
    let out = system_tests::workspace().join("target/bench");
    let path = out.join("results.json");
    // A partial run (--only) updates its steps in the last full results.
    let mut results = match std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok()) {
        Some(Value::Object(previous)) if !only.is_empty() => previous,
        _ => serde_json::Map::new(),
    };
    for name in STEPS.into_iter().filter(|s| only.is_empty() || only.contains(s)) {
        let value = match name {
            "relay_throughput" => relay_bench::throughput(quick).await,
            "event_fan_in" => relay_bench::event_fan_in(quick).await,
            "lease_handover" => relay_bench::lease_handover(quick).await,
            "hub_memory" => system_bench::memory().await,
            "extension" => system_bench::extension(quick).await,
            "parallel_agents" => agent_bench::parallel_agents(quick).await,
            "snapshot_economy" => agent_bench::snapshot_economy(quick).await,
            "snapshot_fidelity" => fidelity_bench::snapshot_fidelity(quick).await,
            "agent_tasks" => agent_tasks::agent_tasks(quick).await,
            "launch_profile" => launch_bench::launch_profile(quick).await,
            "request_rules" => rules_bench::request_rules(quick).await,
            "remote_connect" => remote_bench::remote_connect(quick).await,
            "worker_breakdown" => worker_bench::worker_breakdown(quick).await,
            _ => system_bench::evaluate_round_trip(quick).await,
        };
        print_section(name, &value);
        results.insert(name.to_owned(), value);
    }
    results.insert("machine".into(), machine());
    std::fs::create_dir_all(&out).expect("target/bench");
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
