//! Values built from the fuzzer's bytes, so the round-trip properties reach every shape of
//! a frame without the fuzzer having to discover its JSON keys first.
#![allow(dead_code)] // each target uses the values it needs

use pairing::wire::CdpId;
use serde_json::Value;

/// Reads values off the input, front to back; an exhausted input reads as zeros and "".
pub struct Take<'a>(pub &'a [u8]);

impl Take<'_> {
    /// One byte.
    pub fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        first
    }

    /// A flag.
    pub fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// An integer from up to 8 bytes.
    pub fn int(&mut self) -> i64 {
        let n = (self.byte() % 9) as usize;
        (0..n).fold(0i64, |acc, _| (acc << 8) | i64::from(self.byte()))
    }

    /// A string of up to 255 bytes (invalid UTF-8 replaced).
    pub fn text(&mut self) -> String {
        let n = (self.byte() as usize).min(self.0.len());
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8_lossy(s).into_owned()
    }

    /// `Some` of a string, or `None`.
    pub fn maybe_text(&mut self) -> Option<String> {
        self.flag().then(|| self.text())
    }

    /// A JSON value: the next string parsed as JSON when it is, else as a JSON string.
    pub fn json(&mut self) -> Value {
        let text = self.text();
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }

    /// `Some` of a non-null JSON value, or `None` (on the wire, `null` and absent are one).
    pub fn maybe_json(&mut self) -> Option<Value> {
        self.flag().then(|| self.json()).filter(|v| !v.is_null())
    }

    /// A CDP id, numeric or string.
    pub fn id(&mut self) -> CdpId {
        if self.flag() {
            CdpId::Num(self.int())
        } else {
            CdpId::Str(self.text())
        }
    }
}
