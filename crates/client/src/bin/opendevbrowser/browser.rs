//! The browser commands of the CLI, generated from one table: each row is a subcommand
//! with its own `--help`, typed flags, and the hub command it calls.

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{json, Map, Value};

/// How a flag's text becomes a JSON parameter.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Float,
    Bool,
    List,
}

/// One flag: CLI name, hub parameter, kind, required, help.
type Flag = (&'static str, &'static str, Kind, bool, &'static str);

/// One subcommand: CLI name, hub command, about, flags (a required first flag may be positional).
pub struct Spec {
    pub cli: &'static str,
    pub hub: &'static str,
    about: &'static str,
    flags: &'static [Flag],
}

use Kind::*;

const REF: Flag = ("ref", "ref", Str, true, "Element ref from `snapshot` (e.g. r3)");

/// Every browser command.
pub const SPECS: &[Spec] = &[
    Spec {
        cli: "launch",
        hub: "session.launch",
        about: "Start a browser session (extension mode when the extension is connected, else managed Chromium)",
        flags: &[
            ("mode", "mode", Str, false, "extension or managed"),
            ("headless", "headless", Bool, false, "Managed: run headless (default)"),
            ("headed", "headless", Bool, false, "Managed: show the window"),
            ("start-url", "startUrl", Str, false, "Open this URL first"),
        ],
    },
    Spec {
        cli: "connect",
        hub: "session.connect",
        about: "Attach to an existing DevTools endpoint on this machine",
        flags: &[
            ("ws-endpoint", "wsEndpoint", Str, false, "ws://… browser endpoint"),
            ("port", "port", Int, false, "DevTools port (default 9222)"),
        ],
    },
    Spec {
        cli: "disconnect",
        hub: "session.disconnect",
        about: "Close the session (a managed browser is closed too)",
        flags: &[("close-browser", "closeBrowser", Bool, false, "Also close a connected browser")],
    },
    Spec { cli: "session-status", hub: "session.status", about: "Mode, active target, URL and title", flags: &[] },
    Spec { cli: "targets", hub: "targets.list", about: "List the page targets", flags: &[] },
    Spec {
        cli: "target-new",
        hub: "targets.new",
        about: "Open a new tab and make it active",
        flags: &[("url", "url", Str, false, "URL to open")],
    },
    Spec {
        cli: "target-use",
        hub: "targets.use",
        about: "Make a target active",
        flags: &[("target-id", "targetId", Str, true, "Target id from `targets`")],
    },
    Spec {
        cli: "target-close",
        hub: "targets.close",
        about: "Close a target",
        flags: &[("target-id", "targetId", Str, true, "Target id")],
    },
    Spec {
        cli: "page",
        hub: "page.open",
        about: "Open (or focus) a named page",
        flags: &[("name", "name", Str, true, "Page name"), ("url", "url", Str, false, "URL to open")],
    },
    Spec { cli: "pages", hub: "page.list", about: "List named pages", flags: &[] },
    Spec {
        cli: "page-close",
        hub: "page.close",
        about: "Close a named page",
        flags: &[("name", "name", Str, true, "Page name")],
    },
    Spec {
        cli: "goto",
        hub: "nav.goto",
        about: "Navigate the active page and wait",
        flags: &[
            ("url", "url", Str, true, "URL"),
            ("wait-until", "waitUntil", Str, false, "load (default), domcontentloaded or networkidle"),
            ("timeout-ms", "timeoutMs", Int, false, "Give up after this long (default 30000)"),
        ],
    },
    Spec {
        cli: "wait",
        hub: "nav.wait",
        about: "Wait for a selector, ref or text",
        flags: &[
            ("selector", "selector", Str, false, "CSS selector"),
            ("ref", "ref", Str, false, "Element ref"),
            ("text", "text", Str, false, "Text on the page"),
            ("state", "state", Str, false, "visible (default), hidden or attached"),
            ("timeout-ms", "timeoutMs", Int, false, "Give up after this long"),
        ],
    },
    Spec {
        cli: "snapshot",
        hub: "nav.snapshot",
        about: "Outline of the page with refs for interactive elements",
        flags: &[
            ("mode", "mode", Str, false, "outline (default) or actionables"),
            ("max-chars", "maxChars", Int, false, "Page size (default 16000)"),
            ("cursor", "cursor", Str, false, "nextCursor of the previous page"),
        ],
    },
    Spec { cli: "click", hub: "interact.click", about: "Click an element", flags: &[REF] },
    Spec { cli: "hover", hub: "interact.hover", about: "Move the mouse over an element", flags: &[REF] },
    Spec {
        cli: "type",
        hub: "interact.type",
        about: "Type text into an element",
        flags: &[
            REF,
            ("text", "text", Str, true, "Text to type"),
            ("clear", "clear", Bool, false, "Clear the field first"),
            ("submit", "submit", Bool, false, "Press Enter afterwards"),
        ],
    },
    Spec {
        cli: "press",
        hub: "interact.press",
        about: "Press a key (Enter, Tab, Escape, Arrow…, or one character)",
        flags: &[("key", "key", Str, true, "Key"), ("ref", "ref", Str, false, "Focus this element first")],
    },
    Spec {
        cli: "select",
        hub: "interact.select",
        about: "Choose options of a select",
        flags: &[REF, ("values", "values", List, true, "Option values or labels")],
    },
    Spec {
        cli: "scroll",
        hub: "interact.scroll",
        about: "Scroll the page or an element",
        flags: &[
            ("dy", "dy", Float, false, "Pixels down (negative: up)"),
            ("ref", "ref", Str, false, "Element to scroll"),
        ],
    },
    Spec {
        cli: "scroll-into-view",
        hub: "interact.scrollIntoView",
        about: "Scroll an element into view",
        flags: &[REF],
    },
    Spec {
        cli: "dom-html",
        hub: "dom.getHtml",
        about: "Outer HTML of an element",
        flags: &[REF, ("max-chars", "maxChars", Int, false, "Truncate (default 8000)")],
    },
    Spec {
        cli: "dom-text",
        hub: "dom.getText",
        about: "Text of an element",
        flags: &[REF, ("max-chars", "maxChars", Int, false, "Truncate (default 8000)")],
    },
    Spec {
        cli: "dom-attr",
        hub: "dom.getAttr",
        about: "An attribute of an element",
        flags: &[REF, ("name", "name", Str, true, "Attribute")],
    },
    Spec { cli: "dom-value", hub: "dom.getValue", about: "Value of a form field", flags: &[REF] },
    Spec { cli: "is-visible", hub: "dom.isVisible", about: "Whether an element is visible", flags: &[REF] },
    Spec { cli: "is-enabled", hub: "dom.isEnabled", about: "Whether an element is enabled", flags: &[REF] },
    Spec { cli: "is-checked", hub: "dom.isChecked", about: "Whether a checkbox or radio is checked", flags: &[REF] },
    Spec {
        cli: "screenshot",
        hub: "page.screenshot",
        about: "PNG of the page or an element",
        flags: &[
            ("path", "path", Str, false, "Where to write the PNG"),
            ("ref", "ref", Str, false, "Only this element"),
        ],
    },
    Spec {
        cli: "console-poll",
        hub: "devtools.consolePoll",
        about: "Console messages since a cursor",
        flags: &[
            ("since-seq", "sinceSeq", Int, false, "nextSeq of the previous poll"),
            ("max", "max", Int, false, "At most this many (default 50)"),
        ],
    },
    Spec {
        cli: "network-poll",
        hub: "devtools.networkPoll",
        about: "Network events since a cursor",
        flags: &[
            ("since-seq", "sinceSeq", Int, false, "nextSeq of the previous poll"),
            ("max", "max", Int, false, "At most this many (default 50)"),
        ],
    },
    Spec { cli: "perf", hub: "devtools.perf", about: "Performance metrics of the page", flags: &[] },
];

/// Adds one subcommand per spec to `cli`.
pub fn augment(mut cli: Command) -> Command {
    for spec in SPECS {
        let mut sub = Command::new(spec.cli).about(spec.about);
        if !matches!(spec.cli, "launch" | "connect") {
            sub = sub.arg(
                Arg::new("session-id").long("session-id").help("Session (default: the last `launch` of this instance)"),
            );
        }
        for (name, _, kind, required, help) in spec.flags {
            let mut arg = Arg::new(*name).long(*name).help(*help);
            arg = match kind {
                Bool => arg.action(ArgAction::SetTrue),
                List => arg.num_args(1..).required(*required),
                _ => arg.required(*required),
            };
            sub = sub.arg(arg);
        }
        cli = cli.subcommand(sub);
    }
    cli
}

/// The spec of a subcommand name.
pub fn spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.cli == name)
}

/// Builds the hub params from the parsed flags.
pub fn params(spec: &Spec, m: &ArgMatches) -> Result<Map<String, Value>, String> {
    let mut params = Map::new();
    for (name, key, kind, _, _) in spec.flags {
        let value = match kind {
            Bool if m.get_flag(name) => Some(json!(*name != "headed")),
            Bool => None,
            List => m.get_many::<String>(name).map(|v| json!(v.collect::<Vec<_>>())),
            Int => match m.get_one::<String>(name) {
                Some(v) => Some(json!(v.parse::<u64>().map_err(|_| format!("--{name} must be a whole number"))?)),
                None => None,
            },
            Float => match m.get_one::<String>(name) {
                Some(v) => Some(json!(v.parse::<f64>().map_err(|_| format!("--{name} must be a number"))?)),
                None => None,
            },
            Str => m.get_one::<String>(name).map(|v| json!(v)),
        };
        if let Some(v) = value {
            params.insert((*key).to_owned(), v);
        }
    }
    Ok(params)
}
