//! Relay identity rules: what a valid instanceId is, when `/config` + `/pair` may be
//! combined into a pairing, and when a handshake ack belongs to that pairing.

use crate::port::RelayPort;
use crate::refusal::PairingRefusal;
use crate::wire::{ConfigResponse, HandshakeAck, PairResponse};

/// A validated relay or hub instance id (upstream uses UUIDs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceId(String);

impl InstanceId {
    /// Longest id accepted; UUIDs are 36 characters.
    pub const MAX_LEN: usize = 64;

    /// Accepts 1..=64 characters of `[A-Za-z0-9_-]`; anything else is refused.
    pub fn parse(raw: &str) -> Result<Self, PairingRefusal> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(InstanceId(raw.to_owned()))
        } else {
            Err(PairingRefusal::InvalidInstanceId(truncate(raw)))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 8 characters, as shown in status lines.
    pub fn short(&self) -> &str {
        &self.0[..self.0.len().min(8)]
    }
}

impl std::fmt::Display for InstanceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn truncate(raw: &str) -> String {
    raw.chars().take(InstanceId::MAX_LEN).collect()
}

fn required_id(raw: Option<&str>) -> Result<InstanceId, PairingRefusal> {
    InstanceId::parse(raw.unwrap_or(""))
}

/// A relay the extension has agreed to pair with: one instance, one port, one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairedRelay {
    /// The relay instance both `/config` and `/pair` named.
    pub instance_id: InstanceId,
    /// The relay's epoch, if it sent one.
    pub epoch: Option<i64>,
    /// Where `/extension` listens.
    pub relay_port: RelayPort,
    /// The token to present in the handshake (`None` when pairing is not required).
    pub token: Option<String>,
}

/// Combines `/config` and (when pairing is required) `/pair` into a pairing.
///
/// Refused when either names no valid instance, when the two instanceIds differ, when
/// the port is invalid, or when a token is required but missing.
pub fn pair_from_discovery(
    config: &ConfigResponse,
    pair: Option<&PairResponse>,
) -> Result<PairedRelay, PairingRefusal> {
    let instance_id = required_id(config.instance_id.as_deref())?;
    let relay_port = RelayPort::from_wire(config.relay_port)?;
    let Some(pair) = pair else {
        if config.pairing_required {
            return Err(PairingRefusal::TokenMissing);
        }
        return Ok(PairedRelay { instance_id, epoch: config.epoch, relay_port, token: None });
    };
    let pair_id = required_id(pair.instance_id.as_deref())?;
    if pair_id != instance_id {
        return Err(PairingRefusal::InstanceMismatch { config: instance_id.0, pair: pair_id.0 });
    }
    let token = pair.token.clone().filter(|t| !t.trim().is_empty());
    if config.pairing_required && token.is_none() {
        return Err(PairingRefusal::TokenMissing);
    }
    Ok(PairedRelay { instance_id, epoch: pair.epoch.or(config.epoch), relay_port, token })
}

/// Checks that a handshake ack comes from the instance the extension paired with.
/// With no pairing (manual token mode) any valid instance is accepted.
/// A relay announcing another protocol version is refused too.
pub fn check_ack(paired_with: Option<&InstanceId>, ack: &HandshakeAck) -> Result<InstanceId, PairingRefusal> {
    let got = InstanceId::parse(&ack.instance_id)?;
    RelayPort::from_wire(ack.relay_port)?;
    crate::version::check_protocol(Some(crate::version::PROTOCOL_VERSION), ack.protocol_version)?;
    match paired_with {
        Some(expected) if *expected != got => {
            Err(PairingRefusal::AckInstanceMismatch { expected: expected.0.clone(), got: got.0 })
        }
        _ => Ok(got),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn instance_id_accepts_uuid_and_rejects_junk() {
        assert!(InstanceId::parse("4f1c2b8e-8d7a-4c35-9f0e-1a2b3c4d5e6f").is_ok());
        for bad in ["", "has space", "é", &"a".repeat(65), "a/b"] {
            assert_eq!(InstanceId::parse(bad).unwrap_err().code(), "invalid_instance_id", "{bad}");
        }
    }

    #[test]
    fn short_form_is_first_eight_chars() {
        assert_eq!(InstanceId::parse("abcdefghijk").unwrap().short(), "abcdefgh");
        assert_eq!(InstanceId::parse("abc").unwrap().short(), "abc");
    }
}
